"""Browser tests: Playwright drives Debian's Chromium against the app served from a thread."""
import os
import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# CI runs the suites side by side on two cores: what a person would see may take longer than Playwright's 5 s to
# appear there. A real failure still fails, only later.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    if os.environ.get("MOSTRADOR_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM}; CI must install it (apt-get install chromium)")
    skip = pytest.mark.skip(reason="Chromium is not installed (sudo apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--disable-sync", "--disable-gpu"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A 10" tablet held landscape, used with a finger.
    return {**browser_context_args, "viewport": {"width": 1024, "height": 768}, "has_touch": True,
            "locale": "en-GB"}


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
