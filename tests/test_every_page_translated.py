"""Every page, in every language the shop offers, without a text left in English: a msgid missing from the
reader's catalogue shows here as "⟦msgid⟧", and no page may show one.

The owner of a shop with one record of every kind (tests/record_shop.py) opens every GET page of app.url_map,
and a customer opens their public pages (quote, ticket, survey, portal); each must be HTML in the language with
`<html lang="…">` saying so."""
import pytest
from flask_babel import Domain, get_locale
from sqlalchemy import select

from extensions import db
from models import Customer, QuoteRevision, Survey, Ticket, User
from tests.record_shop import build_shop, sign_in
from tests.test_i18n import TRANSLATED
from tests.test_record_routes import KEYED_PUBLIC_ROUTES, NOT_RECORD_ROUTES, OWNER, ROUTES, url_for_shop

MARK = "⟦"

# Not pages: files, feeds, machine endpoints, and pages that only send the browser elsewhere.
NOT_PAGES = {"static", "offline.manifest", "offline.service_worker", "hooks.whatsapp_hook", "operations.metrics",
             "health.healthz", "health.live", "health.ready", "quotes.shop_logo", "accounts.setup"}


class Marking:
    """The reader's catalogue, except that a msgid it lacks comes back marked instead of in English."""

    def __init__(self, translations):
        self.translations = translations

    def _has(self, key):
        return key in self.translations._catalog

    def ugettext(self, message):
        return self.translations.ugettext(message) if self._has(message) else f"{MARK}{message}⟧"

    def ungettext(self, singular, plural, num):
        if self._has((singular, 0)):
            return self.translations.ungettext(singular, plural, num)
        return f"{MARK}{singular if num == 1 else plural}⟧"

    def upgettext(self, context, message):
        if self._has(f"{context}\x04{message}"):
            return self.translations.upgettext(context, message)
        return f"{MARK}{message}⟧"

    def unpgettext(self, context, singular, plural, num):
        if self._has((f"{context}\x04{singular}", 0)):
            return self.translations.unpgettext(context, singular, plural, num)
        return f"{MARK}{singular if num == 1 else plural}⟧"

    def __getattr__(self, name):
        return getattr(self.translations, name)


@pytest.fixture
def marking(monkeypatch):
    """From here on, texts in any language but English (the msgids themselves) come marked where missing."""
    original = Domain.get_translations

    def get_translations(self):
        translations = original(self)
        return translations if str(get_locale()) == "en" else Marking(translations)

    monkeypatch.setattr(Domain, "get_translations", get_translations)


def _html(response):
    return response.status_code == 200 and response.mimetype == "text/html"


def _pages(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api") or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.endswith((".csv", ".xlsx", ".ics", ".pdf", ".vcf")):
            continue
        if rule.arguments:
            if rule.endpoint in KEYED_PUBLIC_ROUTES or rule.endpoint in NOT_RECORD_ROUTES:
                continue
            if OWNER not in (ROUTES.get(rule.endpoint, (None,))[0] or "").split():
                continue
        yield rule


def _marked(html):
    found = []
    start = html.find(MARK)
    while start != -1 and len(found) < 5:
        found.append(html[start:html.find("⟧", start) + 1])
        start = html.find(MARK, start + 1)
    return found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_page_is_in_the_readers_language(app, marking, language):
    shop = build_shop(app)
    with app.app_context():
        db.session.get(User, shop["owner"]).language = language
        db.session.get(Customer, shop["customer"]).language = language
        db.session.commit()
    owner = sign_in(app.test_client(), shop["owner"])
    problems, seen = [], 0
    for rule in _pages(app):
        url = url_for_shop(rule.endpoint, rule.rule, shop)
        # The owner's browser speaks their language too: the public web form follows the browser, not the account.
        response = owner.get(url, headers={"Accept-Language": language})
        html = response.get_data(as_text=True)
        response.close()
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if not _html(response):
            continue
        seen += 1
        # A fragment (the options an htmx field asks for) has no <html> of its own, only its words.
        if ("<html" in html and f'<html lang="{language}"' not in html) or _marked(html):
            problems.append((url, _marked(html) or "not <html lang>"))
    assert seen > 80, f"only {seen} pages rendered"
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_public_pages_are_in_the_customers_language(app, marking, language):
    shop = build_shop(app)
    with app.app_context():
        customer = db.session.get(Customer, shop["customer"])
        customer.language = language
        customer.portal_token = "portal-" + language
        revision = db.session.scalars(select(QuoteRevision).where(QuoteRevision.quote_id == shop["quote"])).first()
        revision.token = "quote-" + language
        db.session.commit()
        links = [f"/support/t/{db.session.get(Ticket, shop['ticket']).public_token}",
                 f"/support/survey/{db.session.get(Survey, shop['Survey']).token}",
                 f"/quotes/q/{revision.token}", f"/p/{customer.portal_token}"]
    visitor = app.test_client()
    pages = [(link, language) for link in links]
    # Signed out: the browser's language chooses.
    pages += [(path, language) for path in ("/login", "/leads/web-form", "/leads/web-form/thanks", "/offline")]
    problems = []
    for url, expected in pages:
        response = visitor.get(url, headers={"Accept-Language": expected})
        html = response.get_data(as_text=True)
        if response.status_code != 200:
            problems.append((url, response.status_code))
        elif f'<html lang="{expected}"' not in html or _marked(html):
            problems.append((url, _marked(html) or "not <html lang>"))
    assert problems == []


def test_a_text_missing_from_the_catalogue_shows_marked(app, marking):
    # The check above would pass on anything if the marking did not work: a msgid no catalogue has.
    from flask import render_template_string

    with app.test_request_context(headers={"Accept-Language": TRANSLATED[0]}):
        page = render_template_string('{{ _("A text nobody translated") }} · {{ _("Customers") }}')
    assert page.startswith(f"{MARK}A text nobody translated⟧") and MARK not in page.split("·")[1]
