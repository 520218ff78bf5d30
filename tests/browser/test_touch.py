"""A finger's size everywhere: on the main pages of a filled shop, at tablet and phone sizes, every link, button,
summary and form control has a hit area of at least 44×44 px; ids are unique; the phone menu reaches every
section without JavaScript.

The hit area is what the finger really hits, found with elementFromPoint, not the element's box: a row whose
first link covers the whole row (`.rowlink::after`) or a check box inside a big label passes.
"""
import re

import pytest
from sqlalchemy import select

from extensions import db
from models import Customer, Quote, Ticket
from sales.demo import create_demo_staff, fill_demo_shop
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SIZES = {"tablet": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}
STAFF_PAGES = ["/", "/customers/", "/customers/{customer}", "/customers/new", "/leads/board", "/leads/",
               "/leads/my-day", "/quotes/", "/quotes/{quote}", "/support/", "/support/tickets/{ticket}",
               "/manage/goals", "/manage/performance", "/manage/funnel", "/manage/segments", "/mail/campaigns/",
               "/users/", "/account"]
PUBLIC_PAGES = ["/login", "/leads/web-form", "/p/{portal}"]
MINIMUM = 44

# For each visible interactive element: does the finger land on it at its centre and 22 px (less 1 px, so a
# neighbour's border does not count) left, right, above and below it? Returns the ones that it does not. A
# check box or radio button is hit through its label, so the label is measured.
SMALL_TARGETS = """(minimum) => {
  const selector = 'a[href], button, summary, select, textarea, input:not([type=hidden])';
  const shown = (el) => {
    if (el.closest('.skip, .visually-hidden, [hidden], [aria-hidden=true], noscript')) return false;
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0 && el.checkVisibility({visibilityProperty: true});
  };
  const small = [];
  for (const control of document.querySelectorAll(selector)) {
    if (!shown(control)) continue;
    const label = ['checkbox', 'radio'].includes(control.type) && control.closest('label');
    const el = label || control;
    el.scrollIntoView({block: 'center', inline: 'center'});
    const r = el.getClientRects()[0];  // a link wrapped over two lines: its first line
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2, half = minimum / 2 - 1;
    const points = [[cx, cy], [cx - half, cy], [cx + half, cy], [cx, cy - half], [cx, cy + half]];
    const missed = points.filter(([x, y]) => {
      const hit = document.elementFromPoint(x, y);
      return !(hit && (el.contains(hit) || (hit.tagName === 'LABEL' && hit.control === control)));
    });
    if (missed.length) {
      const name = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30);
      const hits = missed.map(([x, y]) => {
        const hit = document.elementFromPoint(x, y);
        return `${Math.round(x - cx)},${Math.round(y - cy)}: ${hit ? hit.tagName.toLowerCase() : 'nothing'}`;
      });
      small.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(r.width)}×${Math.round(r.height)} `
                 + `(hits ${hits.join('; ')})`);
    }
  }
  return small;
}"""
DUPLICATE_IDS = """() => {
  const seen = {};
  for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
  return Object.entries(seen).filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
}"""


@pytest.fixture
def demo(app):
    with app.app_context():
        staff = create_demo_staff(PASSWORD)
        fill_demo_shop(staff[0])
        ids = {"customer": db.session.scalar(select(Customer.id).order_by(Customer.id)),
               "quote": db.session.scalar(select(Quote.id).order_by(Quote.id)),
               "ticket": db.session.scalar(select(Ticket.id).order_by(Ticket.id)),
               "portal": db.session.scalar(select(Customer.portal_token).where(Customer.portal_token.is_not(None)))}
        return staff[0].email, ids


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("size", SIZES)
def test_every_target_is_a_fingers_size_and_ids_are_unique(browser, live_server, demo, csrf_on, size):
    email, ids = demo
    context = browser.new_context(viewport=SIZES[size], has_touch=True, locale="es-ES")
    page = context.new_page()
    small, duplicates = {}, {}

    def check(url):
        page.goto(live_server + url.format(**ids))
        for name, found in ((small, page.evaluate(SMALL_TARGETS, MINIMUM)), (duplicates, page.evaluate(DUPLICATE_IDS))):
            if found:
                name[url] = found

    for url in PUBLIC_PAGES:
        check(url)
    sign_in(page, live_server, email)
    for url in STAFF_PAGES:
        check(url)
    context.close()
    assert not small, "targets under 44×44 px:\n" + "\n".join(f"{url}: {', '.join(found)}" for url, found in small.items())
    assert not duplicates, f"ids used more than once: {duplicates}"


SECTIONS = ["/", "/customers/", "/leads/", "/quotes/", "/support/", "/mail/campaigns/", "/users/", "/account"]


def test_phone_menu_reaches_every_section_without_javascript(browser, live_server, demo):
    email, _ids = demo
    context = browser.new_context(viewport=SIZES["phone"], has_touch=True, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, email)
    menu = page.locator("header.topbar details.navmenu")
    for path in SECTIONS:
        assert not menu.locator(f'a[href="{path}"]').is_visible(), path
    menu.locator("summary").tap()
    for path in SECTIONS:
        box = menu.locator(f'a[href="{path}"]').bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= SIZES["phone"]["width"], path
    assert menu.get_by_role("button", name=re.compile("^(Sign out|Salir)$")).is_visible()
    menu.locator('a[href="/mail/campaigns/"]').tap()
    page.wait_for_url(f"{live_server}/mail/campaigns/")
    context.close()


def test_tablet_shows_every_section_without_a_menu(browser, live_server, demo):
    email, _ids = demo
    context = browser.new_context(viewport=SIZES["tablet"], has_touch=True)
    page = context.new_page()
    sign_in(page, live_server, email)
    menu = page.locator("header.topbar details.navmenu")
    assert not menu.locator("summary").is_visible()
    for path in SECTIONS:
        box = menu.locator(f'a[href="{path}"]').bounding_box()
        assert box and box["x"] + box["width"] <= SIZES["tablet"]["width"], path
    context.close()
