"""The period arrows ‹ › of every report swap exactly the report: one header, one set of tabs, the URL and the
heading follow, and the picker and the free range lead to the same pages."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.test_customers_flow import settled, sign_in
from sales.clock import shop_today

pytestmark = pytest.mark.browser

# (path, the heading's start): every report that has the period picker.
REPORTS = [
    ("/manage/goals", "Goals"), ("/manage/performance", "Seller performance"), ("/manage/funnel", "Funnel"),
    ("/manage/commissions", "Commissions"), ("/manage/loyalty?list=best", "Repeat purchase"),
    ("/negotiation/reports?period=2026-03", "Negotiation reports"),
    ("/support/reports?period=2026-03", "Satisfaction"),
]


def _month_label(day):
    return day.strftime("%B %Y")


@pytest.mark.parametrize("path, heading", REPORTS)
def test_the_arrows_swap_only_the_report(page, live_server, owner, path, heading):
    sign_in(page, live_server, owner)
    page.goto(live_server + path)
    before = page.locator("h1").inner_text()
    assert before.startswith(heading)
    settled(page)
    page.get_by_role("link", name="Previous period").tap()
    expect(page.locator("h1")).not_to_have_text(before)
    settled(page)
    # Exactly one page: one top bar, one main, one set of tabs, one period picker.
    expect(page.locator("header.topbar")).to_have_count(1)
    expect(page.locator("main#content")).to_have_count(1)
    expect(page.locator("#content nav.tabs:not(.subtabs)")).to_have_count(1)
    expect(page.locator("select#report-period")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"period="))
    page.get_by_role("link", name="Next period").tap()
    expect(page.locator("h1")).to_have_text(before)
    settled(page)
    expect(page.locator("header.topbar")).to_have_count(1)
    expect(page.locator("select#report-period")).to_have_count(1)


def test_the_picker_offers_all_time_and_a_free_range(page, live_server, owner):
    sign_in(page, live_server, owner)
    page.goto(f"{live_server}/manage/performance")
    page.get_by_label("Period", exact=True).select_option("all")
    expect(page.locator("h1")).to_have_text(re.compile("All time"))
    expect(page.get_by_role("link", name="Previous period")).to_have_count(0)
    settled(page)
    page.get_by_text("From – to").tap()
    page.get_by_label("From", exact=True).fill("2026-01-15")
    page.get_by_label("To", exact=True).fill("2026-02-14")
    page.locator(".period-range").get_by_role("button", name="Show").tap()
    expect(page.locator("h1")).to_contain_text("Jan 15, 2026 – Feb 14, 2026")
    settled(page)
    page.get_by_role("link", name="Next period").tap()
    expect(page.locator("h1")).to_contain_text("Feb 15, 2026 – Mar 17, 2026")
    expect(page.locator("header.topbar")).to_have_count(1)
    this_month = _month_label(shop_today())
    settled(page)
    page.get_by_label("Period", exact=True).select_option(label=this_month)
    expect(page.locator("h1")).to_contain_text(this_month)
