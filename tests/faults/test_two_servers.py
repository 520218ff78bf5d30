"""README's two-server set-up, started on loopback: two gunicorn servers (two workers each, as `make run` starts
them) on one PostgreSQL database and one S3-compatible bucket (moto's server mode), sharing SECRET_KEY. People
work through both at once — forms saved on each, ticket photos uploaded on A and opened from B, quote PDFs made on
A and downloaded from B, a session begun on A carried on at B — and nothing is lost: every acknowledged save is in
the database, every photo is in the bucket and comes back the same from either server.

PostgreSQL only (TEST_DATABASE_URL): several app servers share one PostgreSQL; SQLite is one shop PC."""
import io
import os
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.faults.conftest import Client, Server
from tests.faults.test_faults import _assert_all_found_and_whole, _contact_fields, _lead_fields, _quote_fields
from tests.object_store import S3Server

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="two servers share one database only on PostgreSQL (TEST_DATABASE_URL)")

PEOPLE, ROUNDS, PHOTOS = 3, 2, 4


def fetch(client, path):
    """(status, headers, bytes) of a GET: the file as it arrives."""
    try:
        with client.opener.open(client.base + path, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def upload(client, path, field, filename, data):
    """A multipart form post with one file, as the browser sends the photo form."""
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{client.token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(client.base + path, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with client.opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def photo(n):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (n * 37 % 256, 90, 200 - n)).save(out, format="PNG")
    return out.getvalue()


def pixels(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


def open_ticket(shop):
    from app import create_app
    from config import _normalise_database_url
    from extensions import db
    from models import Customer
    from sales.support.rules import open_ticket as open_one

    app = create_app({"SQLALCHEMY_DATABASE_URI": _normalise_database_url(shop.url), "SECRET_KEY": "faults"})
    with app.app_context():
        ticket = open_one(db.session.get(Customer, shop.customer_id), title="Brake rubs")
        db.session.commit()
        ticket_id = ticket.id
        db.engine.dispose()
    return ticket_id


def in_parallel(calls):
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def start_both(shop, env):
    """Servers A and B, started at the same time (each waits for its own /healthz)."""
    servers = [Server(shop.url, workers=2, env=env) for _ in range(2)]
    in_parallel(server.start for server in servers)
    if not all(server.process and server.process.poll() is None for server in servers):
        in_parallel(server.stop for server in servers)
        pytest.fail("a server did not start")
    return servers


def test_two_servers_one_database_one_bucket_lose_nothing(database):
    ticket_id = open_ticket(database)
    with S3Server() as s3:
        bucket = s3.new_bucket()
        booting = time.monotonic()
        one, two = start_both(database, s3.settings(bucket, prefix="shop"))
        booted = time.monotonic() - booting
        try:
            started = time.monotonic()
            for server in (one, two):
                ready = fetch(Client(server.base), "/healthz/ready")
                assert ready[0] == 200 and b'"storage":"ok"' in ready[2].replace(b" ", b"")

            # A session begun on A is good on B: the same cookie and CSRF token save a form there.
            travelling = Client(one.base).sign_in(database.seller_email)
            travelling.base = two.base
            status, location, _page = travelling.get("/customers/")
            assert status == 200, f"B answered {status} {location} to A's session"
            status, _location, _body = travelling.post("/leads/new", _lead_fields(database, "l-travelling"))
            assert status == 303
            acknowledged = [("lead", "l-travelling")]
            answers = []

            def saves(who):
                clients = [Client(base).sign_in(database.seller_email) for base in (one.base, two.base)]
                for n in range(ROUNDS):
                    for kind, path, fields in (
                            ("quote", f"/quotes/new?customer_id={database.customer_id}",
                             _quote_fields(database, f"q-{who}-{n}")),
                            ("lead", "/leads/new", _lead_fields(database, f"l-{who}-{n}")),
                            ("contact", f"/leads/contacts/new/{database.customer_id}",
                             _contact_fields(f"c-{who}-{n}"))):
                        client = clients[(n + len(answers)) % 2]      # each save on one server or the other
                        status, _location, _body = client.post(path, fields)
                        answers.append(status)
                        if status == 303:
                            acknowledged.append((kind, fields.get("need") or fields.get("title") or fields["goal"]))

            uploaded, downloads, pdfs = [], [], []

            def photos_and_pdfs():
                on_a, on_b = Client(one.base).sign_in(database.owner_email), Client(two.base).sign_in(database.owner_email)
                for n in range(PHOTOS):
                    status = upload(on_a, f"/support/tickets/{ticket_id}/photos", "photo", f"bike-{n}.png", photo(n))
                    answers.append(status)
                    assert status == 303
                    page = fetch(on_a, f"/support/tickets/{ticket_id}")[2].decode()
                    newest = max(int(found) for found in re.findall(r"/support/photos/(\d+)", page))
                    uploaded.append((newest, n))
                    downloads.append((newest, n, fetch(on_b, f"/support/photos/{newest}"),
                                      fetch(on_a, f"/support/photos/{newest}")))
                for n in range(2):      # a quote made on A, its PDF from B
                    status, location, _body = on_a.post(f"/quotes/new?customer_id={database.customer_id}",
                                                        _quote_fields(database, f"q-pdf-{n}"))
                    assert status == 303
                    acknowledged.append(("quote", f"q-pdf-{n}"))
                    quote_id = int(re.search(r"/quotes/(\d+)", urlsplit(location).path).group(1))
                    pdfs.append(fetch(on_b, f"/quotes/{quote_id}/r/1.pdf"))

            threads = [threading.Thread(target=saves, args=(who,)) for who in range(PEOPLE)]
            threads.append(threading.Thread(target=photos_and_pdfs))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            took = time.monotonic() - started
        finally:
            in_parallel(server.stop for server in (one, two))

        print(f"\ntwo servers, one PostgreSQL, one bucket: {len(answers)} requests in {took:.1f} s: "
              f"{dict(Counter(answers))}; {len(downloads)} photos A→B, {len(pdfs)} PDFs A→B; both servers up in {booted:.1f} s")
        assert not [s for s in answers if s >= 500 or s == 0]
        assert len(acknowledged) == 1 + PEOPLE * ROUNDS * 3 + 2, "every save was acknowledged"
        _assert_all_found_and_whole(database, acknowledged)

        # Every photo: in the bucket under its stored name, the same bytes from B as from A, the picture sent.
        stored = dict(database.query("SELECT id, stored_name FROM ticket_attachments WHERE ticket_id = :t",
                                     t=ticket_id))
        objects = s3.objects(bucket, prefix="shop")
        assert sorted(stored) == sorted(attachment_id for attachment_id, _n in uploaded)
        assert sorted(objects) == sorted(f"shop/{name}" for name in stored.values())
        for attachment_id, n, (status_b, headers_b, from_b), (status_a, _headers, from_a) in downloads:
            assert (status_b, status_a) == (200, 200) and headers_b["Content-Type"] == "image/png"
            assert from_b == from_a == objects[f"shop/{stored[attachment_id]}"], "B serves A's photo byte for byte"
            assert pixels(from_b) == pixels(photo(n))

        for status, headers, body in pdfs:
            assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
