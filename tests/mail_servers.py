"""Real mail servers for the tests, started by the tests on free local ports: aiosmtpd speaks SMTP, pymap
(its in-memory "dict" backend) speaks IMAP. They are peers on the wire, not mocks of Mostrador's code."""
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """Keeps every message it accepts; refuses recipients at `refuse_domain` with a 550 like a real bounce."""

    def __init__(self, refuse_domain="nowhere.example"):
        self.messages = []
        self.refuse_domain = refuse_domain

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@" + self.refuse_domain):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, user=None, password=None, port=None):
        self.handler = RecordingHandler()
        self.port = port or free_port()
        kwargs = {}
        if user:
            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = auth_data.login.decode() == user and auth_data.password.decode() == password
                return AuthResult(success=ok, handled=False)

            # Plain-text AUTH without TLS is acceptable only because this server lives inside the test.
            kwargs = {"authenticator": authenticate, "auth_require_tls": False, "auth_required": True}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def messages(self):
        return self.handler.messages


class IMAPServer:
    """pymap with its in-memory backend, one user, in a child process ended by its own handle."""

    def __init__(self, user="inbox@shop.example", password="mailbox secret"):
        self.user, self.password, self.port = user, password, free_port()
        pymap = Path(sys.executable).with_name("pymap")
        self.process = subprocess.Popen(
            [str(pymap), "--host", "127.0.0.1", "--port", str(self.port), "--no-tls", "dict",
             "--demo-user", user, "--demo-password", password],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("pymap did not start")

    def deliver(self, raw: bytes):
        """Drop a message into the mailbox, the way the shop's mail provider would."""
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        client.append("INBOX", None, None, raw)
        client.logout()

    def unseen(self):
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        client.select("INBOX")
        _status, data = client.search(None, "UNSEEN")
        client.logout()
        return data[0].split()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
