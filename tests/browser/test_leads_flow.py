"""The lead funnel with a finger on a tablet: web form → New → contact with next step → My day → qualified →
moved on the board to Proposal."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.test_customers_flow import nav, sign_in, sign_out
from sales.clock import shop_today

pytestmark = pytest.mark.browser


def test_from_web_form_to_proposal(browser, page, live_server, owner, seller):
    # A visitor on the shop's website, no account.
    visitor = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    form = visitor.new_page()
    form.goto(f"{live_server}/leads/web-form")
    form.get_by_label("Your name").fill("Eva Pardo")
    form.get_by_label("Email").fill("eva@correo.example")
    form.get_by_label("What are you interested in?").fill("Cargo bike for two kids")
    form.get_by_role("button", name="Send").tap()
    expect(form.get_by_role("heading", name="Thank you!")).to_be_visible()
    visitor.close()

    # The owner finds it in New and hands it to the seller.
    sign_in(page, live_server, owner)
    nav(page, "Leads").tap()
    page.get_by_role("link", name="Board", exact=True).tap()
    new_column = page.locator("section.column", has=page.get_by_role("heading", name="New"))
    expect(new_column.get_by_role("link", name="Cargo bike for two kids")).to_be_visible()
    new_column.get_by_role("link", name="Cargo bike for two kids").tap()
    page.get_by_role("link", name="Edit").tap()
    page.get_by_label("Seller").select_option(label=seller.name)
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("Lead “Cargo bike for two kids” is saved.")).to_be_visible()
    sign_out(page)

    # The seller calls, with a goal, and plans the next step for today.
    sign_in(page, live_server, seller)
    nav(page, "Leads").tap()
    page.get_by_role("link", name="List", exact=True).tap()
    page.get_by_role("link", name="Cargo bike for two kids").tap()
    page.get_by_role("link", name="Log a contact").tap()
    page.get_by_label("Goal").fill("Find out the budget and when they need it")
    page.get_by_label("Outcome").fill("About 3.000 €, before spring")
    page.get_by_label("Next step", exact=True).fill("Invite them to a test ride")
    page.get_by_label("Next step due").fill(shop_today().isoformat())
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_text("Contact with Eva Pardo is logged.")).to_be_visible()

    # My day shows it; one tap logs the result.
    page.get_by_role("link", name="My day").tap()
    step = page.locator("li.step", has_text="Invite them to a test ride")
    expect(step).to_be_visible()
    step.get_by_role("link", name="Log result").tap()
    expect(page.get_by_label("Goal")).to_have_value("Invite them to a test ride")
    page.get_by_label("Outcome").fill("Coming on Saturday")
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_text("Nothing due today. Well done!")).to_be_visible()

    # Qualify the lead (htmx swaps the section in place).
    page.get_by_role("link", name="List", exact=True).tap()
    page.get_by_role("link", name="Cargo bike for two kids").tap()
    qualification = page.locator("#qualification")
    for criterion in ("Need", "Buying power", "Receptivity", "Ease of access"):
        qualification.get_by_role("group", name=criterion).get_by_label("High").tap()
    qualification.get_by_label("Qualified", exact=True).tap()
    qualification.get_by_role("button", name="Save qualification").tap()
    expect(page.locator("#qualification .badge")).to_have_text("Qualified")

    # On the board, one tap at a time, without a page load.
    page.get_by_role("link", name="Board", exact=True).tap()
    card = page.locator("article.leadcard", has_text="Cargo bike for two kids")
    card.get_by_role("button", name="Contacted →").tap()
    card = page.locator("section.column", has=page.get_by_role("heading", name="Contacted")).locator(
        "article.leadcard", has_text="Cargo bike for two kids")
    card.get_by_role("button", name="Qualified →").tap()
    card = page.locator("section.column", has=page.get_by_role("heading", name="Qualified")).locator(
        "article.leadcard", has_text="Cargo bike for two kids")
    card.get_by_role("button", name="Proposal →").tap()
    proposal = page.locator("section.column", has=page.get_by_role("heading", name="Proposal"))
    expect(proposal.get_by_role("link", name="Cargo bike for two kids")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leads/board$"))

    page.get_by_role("link", name="Cargo bike for two kids").tap()
    history = page.locator("#stage ol.history")
    expect(history).to_contain_text("Qualified → Proposal")
    expect(history).to_contain_text(seller.name)


def test_board_works_without_javascript(browser, live_server, owner, seller, make_customer, make_lead):
    make_lead(make_customer("Ana García"), seller, title="Gravel bike")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1024, "height": 768},
                                  has_touch=True)
    page = context.new_page()
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/leads/board")
    page.locator("article.leadcard", has_text="Gravel bike").get_by_role("button", name="Contacted →").click()
    contacted = page.locator("section.column", has=page.get_by_role("heading", name="Contacted"))
    expect(contacted.get_by_role("link", name="Gravel bike")).to_be_visible()
    # Any other stage: "Move…" lists them for this one lead, then it is back on the board.
    contacted.locator("article.leadcard", has_text="Gravel bike").get_by_role("link", name="Move…").click()
    page.get_by_role("button", name="Won").click()
    expect(page).to_have_url(re.compile(r"/leads/board$"))
    won = page.locator("section.column", has=page.get_by_role("heading", name="Won"))
    expect(won.get_by_role("link", name="Gravel bike")).to_be_visible()
    context.close()
