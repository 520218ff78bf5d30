"""The main pages of a filled shop pass axe-core's accessibility rules (contrast, labels, names, structure).

axe-core is vendored next to this file (MPL-2.0, version in its name). The page's Content-Security-Policy
forbids injected scripts, so this one browser context alone is told to bypass it.
"""
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db
from models import Customer, Quote, Ticket
from sales.demo import create_demo_staff, fill_demo_shop
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
STAFF_PAGES = ["/", "/customers/", "/customers/{customer}", "/customers/new", "/leads/board", "/leads/",
               "/leads/my-day", "/quotes/", "/quotes/{quote}", "/support/", "/support/tickets/{ticket}",
               "/manage/goals", "/manage/performance", "/manage/funnel", "/manage/commissions", "/manage/segments",
               "/manage/loyalty", "/mail/campaigns/", "/mail/campaigns/new", "/mail/outbox", "/users/"]


def violations(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run()).violations.map(
        v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)""")


def test_main_pages_pass_axe(browser, live_server, app):
    with app.app_context():
        staff = create_demo_staff(PASSWORD)
        fill_demo_shop(staff[0])
        owner_email = staff[0].email
        ids = {"customer": db.session.scalar(select(Customer.id).order_by(Customer.id)),
               "quote": db.session.scalar(select(Quote.id).order_by(Quote.id)),
               "ticket": db.session.scalar(select(Ticket.id).order_by(Ticket.id))}
        portal = db.session.scalar(select(Customer.portal_token).where(Customer.portal_token.is_not(None)))
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, bypass_csp=True)
    page = context.new_page()
    found = {}
    for url in ["/login", f"/p/{portal}", "/leads/web-form"]:
        page.goto(live_server + url)
        found[url] = violations(page)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(owner_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{live_server}/")
    for url in STAFF_PAGES:
        page.goto(live_server + url.format(**ids))
        found[url] = violations(page)
    context.close()
    assert {url: problems for url, problems in found.items() if problems} == {}
