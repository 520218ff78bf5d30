"""What a person does with a finger on a tablet: first run, sign in, add, find and edit a customer."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def nav(page, name):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def settled(page):
    """Wait until htmx has finished swapping and settling, as a person's next tap would."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def sign_out(page):
    """Tap "Sign out" and wait for the sign-in page, so the next navigation cannot cut the request short."""
    page.get_by_role("button", name="Sign out").tap()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def sign_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_role("heading", name=f"Hello, {user.name}")).to_be_visible()


def test_first_run_creates_the_owner(page, live_server):
    page.goto(live_server)
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.get_by_label("Shop name").fill("Bicicletas Rueda Libre")
    page.get_by_label("Your name").fill("Carmen Ortega")
    page.get_by_label("Your email").fill("carmen@ruedalibre.example")
    page.get_by_label("New password").fill("pedalea sin parar")
    page.get_by_label("Repeat the password").fill("pedalea sin parar")
    page.get_by_role("button", name="Create the owner account").tap()
    expect(page.get_by_role("heading", name="Hello, Carmen Ortega")).to_be_visible()
    expect(page.locator(".brand")).to_have_text("Bicicletas Rueda Libre")


def test_seller_adds_searches_and_edits_a_customer(page, live_server, owner, seller, make_customer):
    make_customer("Bruno Díaz", city="Getafe")
    sign_in(page, live_server, seller)

    nav(page, "Customers").tap()
    page.get_by_role("link", name="New customer").tap()
    # A mistake first: the form comes back with the error beside the field and nothing lost.
    page.get_by_label("Name").fill("Elena Moreno")
    page.get_by_label("Email").fill("elena@")
    page.get_by_label("City").fill("Toledo")
    page.get_by_role("button", name="Save").tap()
    expect(page.locator("#email-error")).to_contain_text("does not look right")
    expect(page.get_by_label("City")).to_have_value("Toledo")
    expect(page.get_by_label("Name")).to_have_value("Elena Moreno")

    page.get_by_label("Email").fill("elena@correo.example")
    page.get_by_label("Mobile").fill("612 345 678")
    page.get_by_label("Tags").fill("eléctrica, vip")
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_role("heading", name="Elena Moreno")).to_be_visible()
    expect(page.get_by_text("Customer Elena Moreno is saved.")).to_be_visible()

    # Search as you type: the list narrows without a page load.
    nav(page, "Customers").tap()
    expect(page.get_by_role("link", name="Bruno Díaz")).to_be_visible()
    settled(page)
    page.get_by_placeholder("Name, email, phone or tag").fill("612345")
    expect(page.get_by_role("link", name="Bruno Díaz")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"q=612345"))
    page.get_by_role("link", name="Elena Moreno").tap()

    page.get_by_role("link", name="Edit").tap()
    page.get_by_label("City").fill("Madrid")
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("Changes to Elena Moreno are saved.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Madrid")
    expect(page.locator("ol.history")).to_contain_text("Toledo → Madrid")


def test_works_with_javascript_off(browser, live_server, seller, owner, make_customer):
    make_customer("Bruno Díaz")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(seller.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/customers/")
    page.get_by_placeholder("Name, email, phone or tag").fill("bruno")
    page.locator("main").get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=bruno"))
    expect(page.get_by_role("link", name="Bruno Díaz")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    context.close()


def test_tap_targets_are_big_enough(page, live_server, seller, owner, make_customer):
    make_customer("Bruno Díaz")
    sign_in(page, live_server, seller)
    page.goto(f"{live_server}/customers/")
    small = page.evaluate("""() => [...document.querySelectorAll('a.button, button, input, select, .mainnav a')]
        .filter(e => e.offsetParent !== null)
        // A tick box is tapped through its label (the bulk-selection boxes): the label is the target.
        .map(e => [e, /^(checkbox|radio)$/.test(e.type) && e.closest('label') || e])
        .map(([e, target]) => [e.textContent.trim() || e.name || e.id, target.getBoundingClientRect().height])
        .filter(([, h]) => h < 44)""")
    assert small == []
