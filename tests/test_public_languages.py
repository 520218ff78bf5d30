"""What a customer reads is in the customer's language: the emails the shop sends them (quote, ticket reply,
survey invitation, a mailing's unsubscribe footer) and the pages they open without an account (quote acceptance,
ticket, survey, portal, unsubscribe). A visitor may pick another language on those pages with plain links; the
pick holds for their next pages, changes nothing stored about the customer, and staff pages ignore it.

Every expected word comes from the catalogue (force_locale + gettext), none is typed here."""
import re
from email import message_from_bytes, policy

import pytest
from flask_babel import force_locale, format_date, gettext
from sqlalchemy import select

from extensions import db
from models import Customer, OutgoingEmail, QuoteRevision, Survey, Ticket
from sales.languages import VISITOR_COOKIE, shop_language
from sales.messaging import campaigns
from sales.messaging.emails import shop_name
from tests.conftest import login, text_of
from tests.test_campaigns import campaign_form
from tests.test_messaging import all_emails, open_ticket  # noqa: F401  (fixtures; sent_quote is in conftest)


@pytest.fixture
def words(app):
    """words(language, msgid, **values): the catalogue's text as the customer reads it."""

    def translate(language, msgid, **values):
        with app.test_request_context(), force_locale(language):
            text = gettext(msgid, **values)
        with app.test_request_context(), force_locale("en"):
            # A word the catalogue leaves as it is would prove nothing about the language.
            assert language == "en" or text != gettext(msgid, **values), (language, msgid)
        return text

    return translate


@pytest.fixture
def english_seller(make_user):
    return make_user("seller", name="Sam Seller", language="en")


def reader(make_customer, language):
    names = {"de": "Jürgen Köhler", "hi": "Priya Deshpande"}
    return make_customer(names[language], email=f"{language}@example.com", language=language, email_opt_in=True)


def revision_of(app, quote_id):
    with app.app_context():
        revision = db.session.scalars(select(QuoteRevision).where(QuoteRevision.quote_id == quote_id)).one()
        return revision.token, revision.quote.number, revision.valid_until


def survey_of(app, ticket_id):
    with app.test_request_context():
        from sales.support.rules import survey_for_ticket

        survey = survey_for_ticket(db.session.get(Ticket, ticket_id))
        db.session.commit()
        return survey.id, survey.token


def ticket_token(app, ticket_id):
    with app.app_context():
        return db.session.get(Ticket, ticket_id).public_token


def portal_token(app, customer_id):
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        customer.portal_token = f"portal-of-{customer_id}-" + "k" * 30
        db.session.commit()
        return customer.portal_token


def unsubscribe_path(app, customer_id):
    from sales.messaging.portal import unsubscribe_url

    with app.test_request_context():
        return re.sub(r"^http://localhost", "", unsubscribe_url(db.session.get(Customer, customer_id)))


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


# --- Emails -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["de", "hi"])
def test_the_quote_email_is_written_in_the_customers_language(client, app, english_seller, make_customer,
                                                              sent_quote, words, language):
    customer = reader(make_customer, language)
    quote_id = sent_quote(customer, english_seller)
    token, number, valid_until = revision_of(app, quote_id)
    login(client, english_seller)
    response = client.post(f"/mail/quote/{quote_id}", follow_redirects=True)
    # The seller who pressed the button keeps reading English.
    assert words("en", "Email sent to %(address)s.", address=customer.email) in text_of(response)

    (email,) = all_emails(app)
    with app.test_request_context():
        shop = shop_name()
        with force_locale(language):
            valid = format_date(valid_until)
    assert email.subject == words(language, "Quotation %(number)s from %(shop)s", number=number, shop=shop)
    assert message_from_bytes(email.raw, policy=policy.default)["Subject"] == email.subject
    assert words(language, "Hello %(name)s,", name=customer.name) in email.body
    # The date as the customer writes it (German 12.03.2026, Hindi with its own month names).
    assert words(language, "Here is our quotation %(number)s (attached as a PDF). It is valid until %(date)s.",
                 number=number, date=valid) in email.body
    assert words(language, "You can read it, accept it or decline it here:") in email.body
    assert words(language, "Kind regards,") in email.body
    with app.app_context():
        assert db.session.get(Customer, customer.id).language == language


@pytest.mark.parametrize("language", ["de", "hi"])
def test_a_ticket_reply_is_emailed_in_the_customers_language(client, app, support, make_customer, open_ticket,
                                                             words, language):
    customer = reader(make_customer, language)
    ticket_id = open_ticket(customer, title="Bremse quietscht")
    login(client, support)
    client.post(f"/support/tickets/{ticket_id}/messages", data={"body": "Das Teil kommt am Montag.",
                                                                "visibility": "public"})
    client.post(f"/mail/ticket/{ticket_id}")
    (email,) = all_emails(app)
    with app.app_context():
        number = db.session.get(Ticket, ticket_id).number
    assert email.subject.startswith(words(language, "Your ticket %(number)s", number=number) + " [")
    assert words(language, "We have news about your ticket “%(title)s”:", title="Bremse quietscht") in email.body
    assert "Das Teil kommt am Montag." in email.body
    assert words(language, "Follow it and write to us here:") in email.body


@pytest.mark.parametrize("language", ["de", "hi"])
def test_the_survey_invitation_is_in_the_customers_language(client, app, support, make_customer, open_ticket,
                                                            words, language):
    customer = reader(make_customer, language)
    survey_id, token = survey_of(app, open_ticket(customer))
    login(client, support)
    client.post(f"/mail/survey/{survey_id}")
    (email,) = all_emails(app)
    with app.test_request_context():
        shop = shop_name()
    assert email.subject == words(language, "How did we do? %(shop)s", shop=shop)
    assert words(language, "Would you tell us how we did? It takes one minute:") in email.body
    assert f"/support/survey/{token}" in email.body


@pytest.mark.parametrize("language", ["de", "hi"])
def test_a_mailings_unsubscribe_footer_is_in_the_customers_language(as_seller, app, make_customer, language):
    customer = reader(make_customer, language)
    response = as_seller.post("/mail/campaigns/new", data=campaign_form(name="Spring", city=""))
    campaign_id = int(response.location.rsplit("/", 1)[1])
    as_seller.post(f"/mail/campaigns/{campaign_id}/send")
    with app.app_context():
        body = db.session.scalar(select(OutgoingEmail.body).where(OutgoingEmail.customer_id == customer.id))
    link = "http://localhost" + unsubscribe_path(app, customer.id)
    with app.test_request_context():
        footer = campaigns.unsubscribe_footer(link, language)
        others = campaigns.unsubscribe_footer(link, shop_language())
    assert body.endswith(footer) and footer != others


# --- Public pages -------------------------------------------------------------------------------------------------

@pytest.fixture
def public_pages(app, english_seller, make_customer, sent_quote, open_ticket):
    """public_pages(language) -> {page: path} of one customer: quote, ticket, survey, portal, unsubscribe."""

    def make(language):
        customer = reader(make_customer, language)
        token = revision_of(app, sent_quote(customer, english_seller))[0]
        ticket_id = open_ticket(customer)
        return customer, {
            "quote": f"/quotes/q/{token}",
            "ticket": f"/support/t/{ticket_token(app, ticket_id)}",
            "survey": f"/support/survey/{survey_of(app, ticket_id)[1]}",
            "portal": f"/p/{portal_token(app, customer.id)}",
            "unsubscribe": unsubscribe_path(app, customer.id),
        }

    return make


# A sentence of each page, straight from its template.
PAGE_WORDS = {"quote": "Accept the quotation", "ticket": "No messages yet. We will write here as soon as we have news.",
              "survey": "Four quick questions about your experience with us.", "portal": "Tell us how we did",
              "unsubscribe": "Unsubscribe from our mailings?"}


@pytest.mark.parametrize("language", ["de", "hi"])
def test_public_pages_speak_the_customers_language(app, public_pages, words, language):
    _customer, pages = public_pages(language)
    visitor = app.test_client()
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"     # the customer's language wins over the browser's
    for page, path in pages.items():
        response = visitor.get(path)
        assert response.status_code == 200, page
        assert html_lang(response) == language, page
        assert words(language, PAGE_WORDS[page]) in text_of(response), page


def test_dates_on_a_public_page_are_written_the_customers_way(app, public_pages):
    _customer, pages = public_pages("de")
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        with app.test_request_context(), force_locale("de"):
            opened = gettext("Ticket %(number)s, opened %(when)s", number=ticket.number,
                             when=format_date(ticket.created_at))
    assert opened in text_of(app.test_client().get(pages["ticket"]))


def test_the_switcher_lists_each_language_in_its_own_name_and_marks_the_current_one(app, public_pages):
    _customer, pages = public_pages("de")
    html = app.test_client().get(pages["quote"]).get_data(as_text=True)
    nav = re.search(r'<nav class="languages"[^>]*>(.*?)</nav>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+"( aria-current="true")?>([^<]+)</a>', nav)
    assert [(lang, name) for _href, lang, _current, name in links] == [
        ("en", "English"), ("es", "Español"), ("de", "Deutsch"), ("hi", "हिन्दी")]
    assert [lang for _href, lang, current, _name in links if current] == ["de"]
    assert all(href == f"{pages['quote']}?lang={lang}" for href, lang, _current, _name in links)


@pytest.mark.parametrize("page", sorted(PAGE_WORDS))
def test_a_visitor_switches_language_without_javascript_and_it_holds(app, public_pages, fetch, words, page):
    customer, pages = public_pages("de")
    visitor = app.test_client()
    response = visitor.get(pages[page] + "?lang=hi")
    # A plain link: the pick is kept and the same page comes back, without the parameter.
    assert response.status_code == 303 and response.location == pages[page]
    assert visitor.get_cookie(VISITOR_COOKIE) is not None
    again = visitor.get(response.location)
    assert html_lang(again) == "hi" and words("hi", PAGE_WORDS[page]) in text_of(again)
    # The next page, and the next visit, keep the visitor's pick.
    other = pages["portal" if page != "portal" else "quote"]
    assert html_lang(visitor.get(other)) == "hi"
    assert html_lang(visitor.get(pages[page])) == "hi"
    # Nothing stored about the customer changes; someone else opening the link still reads German.
    assert fetch(Customer, customer.id).language == "de"
    assert html_lang(app.test_client().get(pages[page])) == "de"


def test_a_visitor_who_switched_downloads_the_quote_in_their_pick(app, public_pages):
    import io

    import pypdf

    _customer, pages = public_pages("de")
    visitor = app.test_client()
    pdf_url = pages["quote"] + ".pdf"

    def heading(language):
        with app.test_request_context(), force_locale(language):
            return gettext("Unit price")

    def pdf_text(client=visitor):
        response = client.get(pdf_url)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)

    assert heading("de") in pdf_text()                      # the customer's language
    visitor.get(pages["quote"] + "?lang=es")
    text = pdf_text()
    assert heading("es") in text and heading("de") not in text
    assert heading("de") in pdf_text(app.test_client())     # another visitor still gets the customer's


def test_the_switch_keeps_the_pages_other_arguments_and_ignores_a_language_not_offered(app, public_pages):
    _customer, pages = public_pages("de")
    visitor = app.test_client()
    response = visitor.get(pages["portal"] + "?lang=fr")
    assert response.status_code == 303 and response.location == pages["portal"]
    assert visitor.get_cookie(VISITOR_COOKIE) is None
    assert html_lang(visitor.get(pages["portal"])) == "de"
    response = visitor.get(pages["quote"] + "?x=1&lang=es")
    assert response.location == pages["quote"] + "?x=1"


def test_a_forged_language_cookie_is_ignored(app, public_pages):
    _customer, pages = public_pages("hi")
    visitor = app.test_client()
    visitor.set_cookie(VISITOR_COOKIE, "de")
    assert html_lang(visitor.get(pages["quote"])) == "hi"


def test_staff_pages_keep_the_staff_members_language(app, client, public_pages, make_user, words):
    customer, pages = public_pages("de")
    colleague = make_user("owner", name="Sofía", language="es")
    client.get(pages["quote"] + "?lang=hi")              # the same browser picked Hindi on a public page
    login(client, colleague)
    page = client.get(f"/customers/{customer.id}")
    assert html_lang(page) == "es" and words("es", "Customers") in text_of(page)
    assert 'class="languages"' not in page.get_data(as_text=True)
    # A staff page with ?lang= is not a switcher: it answers as usual.
    assert client.get(f"/customers/{customer.id}?lang=de").status_code == 200
    # A public page still follows the pick made there.
    assert html_lang(client.get(pages["quote"])) == "hi"


def test_the_web_form_speaks_the_browsers_language_else_the_shops(app, words):
    with app.app_context():
        shop = shop_language()
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9"
    page = browser.get("/leads/web-form")
    assert html_lang(page) == "de" and words("de", "Tell us what you are looking for and we will get back to you."
                                               ) in text_of(page)
    assert html_lang(app.test_client().get("/leads/web-form")) == shop
    response = browser.get("/leads/web-form?lang=hi")
    assert response.status_code == 303 and html_lang(browser.get(response.location)) == "hi"
