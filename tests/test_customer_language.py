"""Speaking the customer's language, on the staff side: the owner chooses which languages the shop offers and its own
(Shop details); people pick theirs among those; each customer's language is set on the form, shown on their page,
kept in the history, and travels through the API, the CSV export and import, and vCards."""
import csv
import io
import re

import pytest
import vobject
from babel import Locale
from flask_babel import force_locale, gettext
from sqlalchemy import select

from extensions import db
from models import Customer, ShopSetting, User
from sales.exports import CUSTOMER_COLUMNS
from sales.languages import NAMES, available_languages, enabled_languages, shop_language
from tests.api_client import api, token_for  # noqa: F401 (fixtures)
from tests.conftest import login, text_of
from tests.test_customer_import import check, finish, upload


def options(html, name):
    """[(value, label, selected)] of the select `name` as the page shows it."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select {name}"
    return [(value, " ".join(label.split()), "selected" in attrs)
            for attrs, value, label in re.findall(r'<option([^>]*?)value="([^"]*)"[^>]*>(.*?)</option>',
                                                  found.group(1), re.S)]


def selected(html, name):
    return [value for value, _label, chosen in options(html, name) if chosen]


def checked(html, name):
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]*)" checked>', html)


def field_error(html, field_id):
    found = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return " ".join(found.group(1).split()) if found else None


def settings_of(app):
    with app.test_request_context():
        return enabled_languages(), shop_language(), ShopSetting.get("languages"), ShopSetting.get("shop_language")


def speaks(app):
    with app.app_context():
        return available_languages()


def offer(client, languages, shop):
    return client.post("/quotes/settings", data={"which": "languages", "languages": list(languages),
                                                 "shop_language": shop})


# --- Shop details: which languages, and the shop's own -------------------------------------------------------------

def test_until_the_owner_chooses_every_language_is_offered_each_named_in_itself(as_owner, app):
    html = as_owner.get("/quotes/settings").get_data(as_text=True)
    every, shop, _stored, _stored_shop = settings_of(app)
    assert every == speaks(app) and len(every) == 4
    assert checked(html, "languages") == list(every)
    for code in every:      # the label is the language's own name, marked as written in it
        assert f'<span lang="{code}">{NAMES[code]}</span>' in html
    assert selected(html, "shop_language") == [shop]
    assert [label for _v, label, _s in options(html, "shop_language")] == [NAMES[c] for c in every]


def test_the_owner_saves_the_languages_offered_and_the_shop_s_own(as_owner, app):
    response = offer(as_owner, ["en", "de"], "de")
    assert response.status_code == 303
    page = as_owner.get("/quotes/settings")
    html = page.get_data(as_text=True)
    assert "Languages saved." in text_of(page)
    assert checked(html, "languages") == ["en", "de"] and selected(html, "shop_language") == ["de"]
    assert settings_of(app) == (("en", "de"), "de", "en,de", "de")
    # The Changes panel names the languages, before and after.
    every = ", ".join(NAMES[c] for c in speaks(app))
    before_shop = NAMES[app.config["SHOP_LANGUAGE"]]
    panel = text_of(page).split("Changes", 1)[1]
    assert f"Languages the shop offers {every} → English, Deutsch" in panel
    assert f"The shop's language {before_shop} → Deutsch" in panel
    # The shop details beside them are untouched.
    with app.app_context():
        assert ShopSetting.get("shop_name") is None


@pytest.mark.parametrize("languages, shop", [(["en", "de"], "hi"), ([], "en")])
def test_the_shop_s_language_must_be_one_it_offers(as_owner, app, languages, shop):
    response = offer(as_owner, languages, shop)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "shop_language") == "The shop's language must be one of the languages it offers."
    assert "Some fields need a look" in text_of(response)
    # What the owner chose is still on the form; nothing was saved.
    assert checked(html, "languages") == languages and selected(html, "shop_language") == [shop]
    assert settings_of(app)[2:] == (None, None)
    # The details form beside it shows what is saved, not blanks.
    assert re.search(rf'<input [^>]*name="shop_name"[^>]*value="{app.config["SHOP_NAME"]}">', html)


def test_a_language_mostrador_does_not_speak_is_refused_not_a_500(as_owner, app):
    response = offer(as_owner, ["en", "fr"], "en")
    assert response.status_code == 422
    assert settings_of(app)[2:] == (None, None)


def test_only_the_owner_reaches_the_language_settings(client, app, owner, seller):
    login(client, seller)
    assert client.get("/quotes/settings").status_code == 403
    assert offer(client, ["en"], "en").status_code == 403
    assert settings_of(app)[2:] == (None, None)


def test_the_shop_details_form_still_saves_on_its_own(as_owner, app):
    response = as_owner.post("/quotes/settings", data={"which": "details", "shop_name": "Bicis Sol",
                                                       "currency": "EUR", "quote_validity_days": "30"})
    assert response.status_code == 303
    assert settings_of(app)[2:] == (None, None)
    with app.app_context():
        assert ShopSetting.get("shop_name") == "Bicis Sol"


# --- People read Mostrador in a language the shop offers -----------------------------------------------------------

def test_a_person_whose_language_is_no_longer_offered_reads_the_shop_s(client, app, owner, make_user):
    reader = make_user(language="hi")
    login(client, reader)
    assert '<html lang="hi">' in client.get("/customers/").get_data(as_text=True)
    owner_client = app.test_client()
    login(owner_client, owner)
    assert offer(owner_client, ["en", "de"], "de").status_code == 303
    # Not the browser's (en): the shop's.
    page = client.get("/customers/", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in page.get_data(as_text=True) and "Kunden" in text_of(page)


def test_the_profile_offers_the_shop_s_languages_and_the_browser_s(as_owner, app, make_user):
    offer(as_owner, ["en", "de"], "en")
    seller = make_user()
    client = app.test_client()
    login(client, seller)
    html = client.get("/account").get_data(as_text=True)
    assert [(value, label) for value, label, _s in options(html, "account-language")] == [
        ("", "Same as the browser"), ("en", "English"), ("de", "Deutsch")]
    saved = client.post("/account", data={"which": "account", "account-name": seller.name, "account-language": "de"})
    assert saved.status_code == 303
    assert selected(client.get("/account").get_data(as_text=True), "account-language") == ["de"]
    # A language the shop does not offer is not taken: the browser's, as the list says.
    client.post("/account", data={"which": "account", "account-name": seller.name, "account-language": "hi"})
    with app.app_context():
        assert db.session.get(User, seller.id).language is None


# --- The customer's language ---------------------------------------------------------------------------------------

def test_the_customer_form_offers_the_shop_s_language_then_the_others(as_owner, app):
    offer(as_owner, ["en", "es", "de"], "es")
    html = as_owner.get("/customers/new").get_data(as_text=True)
    assert [(value, label) for value, label, _s in options(html, "language")] == [
        ("", "The shop's (Español)"), ("en", "English"), ("es", "Español"), ("de", "Deutsch")]
    assert selected(html, "language") == [""]


def test_the_customer_s_language_is_kept_on_error_saved_shown_and_in_the_history(as_owner, app):
    refused = as_owner.post("/customers/new", data={"kind": "person", "name": "Jana Weber", "email": "nope",
                                                    "owner_id": "0", "language": "de"})
    assert refused.status_code == 422
    assert selected(refused.get_data(as_text=True), "language") == ["de"]
    saved = as_owner.post("/customers/new", data={"kind": "person", "name": "Jana Weber", "owner_id": "0",
                                                  "language": "de"})
    assert saved.status_code == 303
    page = as_owner.get(saved.location)
    assert "Language Deutsch" in text_of(page)
    edit_url = saved.location + "/edit"
    html = as_owner.get(edit_url).get_data(as_text=True)
    assert selected(html, "language") == ["de"]
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    changed = as_owner.post(edit_url, data={"kind": "person", "name": "Jana Weber", "owner_id": "0",
                                            "language": "hi", "version": version})
    assert changed.status_code == 303
    page = as_owner.get(saved.location)
    assert "Language हिन्दी" in text_of(page)
    panel = text_of(page).split("Changes", 1)[1]
    assert "Language Deutsch → हिन्दी" in panel
    # Back to the shop's: stored as none, shown as the shop's.
    version = re.search(r'name="version" type="hidden" value="(\d+)"',
                        as_owner.get(edit_url).get_data(as_text=True)).group(1)
    as_owner.post(edit_url, data={"kind": "person", "name": "Jana Weber", "owner_id": "0", "language": "",
                                  "version": version})
    with app.test_request_context():
        assert db.session.scalars(select(Customer)).one().language is None
        shop = NAMES[shop_language()]
    assert f"Language The shop's ({shop})" in text_of(as_owner.get(saved.location))


def test_a_language_that_is_not_a_choice_is_a_form_error(as_owner, app):
    response = as_owner.post("/customers/new", data={"kind": "person", "name": "X", "owner_id": "0",
                                                     "language": "xx"})
    assert response.status_code == 422 and field_error(response.get_data(as_text=True), "language")
    with app.app_context():
        assert db.session.scalars(select(Customer)).all() == []


def test_a_language_no_longer_offered_stays_on_the_customer_until_someone_changes_it(as_owner, app, make_customer):
    customer = make_customer("Priya Sharma", language="hi")
    offer(as_owner, ["en", "es"], "es")
    page = text_of(as_owner.get(f"/customers/{customer.id}"))
    assert "Language हिन्दी (no longer offered): we write to them in Español" in page
    html = as_owner.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert selected(html, "language") == ["hi"]
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    as_owner.post(f"/customers/{customer.id}/edit", data={"kind": "person", "name": "Priya Sharma", "owner_id": "0",
                                                          "language": "hi", "city": "Pune", "version": version})
    with app.app_context():
        kept = db.session.get(Customer, customer.id)
        assert (kept.city, kept.language) == ("Pune", "hi")


# --- CSV export and import -------------------------------------------------------------------------------------------

def csv_table(content):
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return rows[0], rows[1:]


@pytest.mark.parametrize("reader", list(NAMES))
def test_export_then_import_into_a_fresh_shop_keeps_each_customer_s_language(client, app, make_user,
                                                                             make_customer, reader):
    from tests.test_round_trip import empty_the_shop

    people = {"Jana Weber": "de", "Priya Sharma": "hi", "Ana García": None, "John Smith": "en"}
    for name, language in people.items():
        make_customer(name, language=language)
    login(client, make_user("owner", language=reader))
    exported = client.get("/customers/export.csv").data
    header, rows = csv_table(exported)
    with app.test_request_context(), force_locale(reader):
        column = header.index(gettext("Language"))
    assert {row[1]: row[column] for row in rows} == {name: code or "" for name, code in people.items()}

    empty_the_shop(app)
    login(client, make_user("owner", name="New Owner", email="new-owner@shop.example"))
    location, form = upload(client, exported.decode("utf-8-sig"))
    # Every column of the export, in whatever language it was read, is taken for the field it came from.
    assert [form[f"column-{index}"] for index in range(len(header))] == [attr for attr, _l in CUSTOMER_COLUMNS]
    done = finish(client, check(client, location, form)[0])
    assert f"{len(people)} new customers" in done
    with app.app_context():
        assert {c.name: c.language for c in db.session.scalars(select(Customer))} == people


def _names_of(code):
    """The language's code and its names in every language Mostrador speaks, as people write them."""
    return [code, code.upper(), NAMES[code]] + [Locale.parse(reader).languages[code] for reader in NAMES]


def test_the_import_reads_a_language_s_code_or_its_name_in_any_of_our_languages(as_owner, app):
    written = _names_of("de") + ["GERMAN", "Alemán", "alemán", "deutsch", "de-AT"]
    lines = [f"Kunde {n},{value}" for n, value in enumerate(written)]
    location, form = upload(as_owner, "name,language\n" + "\n".join(lines) + "\n")
    assert form["column-1"] == "language"
    done = finish(as_owner, check(as_owner, location, form)[0])
    assert f"{len(written)} new customers" in done
    with app.app_context():
        assert {c.language for c in db.session.scalars(select(Customer))} == {"de"}


def test_a_language_we_do_not_speak_is_a_problem_of_its_row(as_owner, app):
    location, form = upload(as_owner, "name,idioma\nJana,Deutsch\nJean,Français\n")
    progress, page = check(as_owner, location, form)
    with app.test_request_context():
        known = ", ".join(NAMES[c] for c in available_languages())
    assert f"3 idioma “Français” is not a language Mostrador speaks: write one of {known}." in page
    done = finish(as_owner, progress)
    assert "1 new customer" in done and "1 row left out because of a problem" in done
    with app.app_context():
        assert [(c.name, c.language) for c in db.session.scalars(select(Customer))] == [("Jana", "de")]


def test_an_import_without_a_language_leaves_the_customer_s_as_it_is(as_owner, app, make_customer):
    make_customer("Jana Weber", language="de", email="jana@example.de")
    location, form = upload(as_owner, "name,email,language\nJana Weber,jana@example.de,\n")
    finish(as_owner, check(as_owner, location, form)[0])
    with app.app_context():
        assert db.session.scalars(select(Customer)).one().language == "de"


# --- API -----------------------------------------------------------------------------------------------------------

def test_the_api_reads_and_writes_the_customer_s_language(api, owner, app, make_customer):
    client = api(owner)
    jana = make_customer("Jana Weber", language="de")
    assert client.get(f"/api/v1/customers/{jana.id}").json["language"] == "de"
    created = client.post("/api/v1/customers", json={"name": "Priya Sharma", "language": "hi"})
    assert created.status_code == 201 and created.json["language"] == "hi"
    plain = client.post("/api/v1/customers", json={"name": "Ana García"})
    assert plain.json["language"] is None
    etag = client.get(f"/api/v1/customers/{jana.id}").headers["ETag"]
    cleared = client.patch(f"/api/v1/customers/{jana.id}", json={"language": None}, headers={"If-Match": etag})
    assert cleared.status_code == 200 and cleared.json["language"] is None
    with app.app_context():
        assert {c.name: c.language for c in db.session.scalars(select(Customer))} == {
            "Jana Weber": None, "Priya Sharma": "hi", "Ana García": None}


@pytest.mark.parametrize("value", ["fr", "Deutsch", "", 7])
def test_a_language_the_api_does_not_know_is_a_422_problem(api, owner, app, make_customer, value):
    client = api(owner)
    jana = make_customer("Jana Weber", language="de")
    etag = client.get(f"/api/v1/customers/{jana.id}").headers["ETag"]
    refused = client.patch(f"/api/v1/customers/{jana.id}", json={"language": value}, headers={"If-Match": etag})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert [e["pointer"] for e in refused.json["errors"]] == ["/body/language"]
    created = client.post("/api/v1/customers", json={"name": "Jean", "language": value})
    assert created.status_code == 422
    with app.app_context():
        assert [(c.name, c.language) for c in db.session.scalars(select(Customer))] == [("Jana Weber", "de")]


def test_a_language_the_shop_s_mostrador_does_not_speak_is_refused(api, owner, app, make_customer, monkeypatch):
    monkeypatch.setitem(app.config, "LANGUAGES", ("en", "es"))
    refused = api(owner).post("/api/v1/customers", json={"name": "Jana", "language": "de"})
    assert refused.status_code == 422 and refused.json["errors"][0]["pointer"] == "/body/language"


def test_the_openapi_document_lists_the_languages(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    for name in ("CustomerCreate", "CustomerUpdate"):
        language = schemas[name]["properties"]["language"]
        enums = [option.get("enum") for option in language.get("anyOf", [language]) if option.get("enum")]
        assert enums == [list(NAMES)], name
    assert "language" in schemas["Customer"]["required"]


# --- vCards --------------------------------------------------------------------------------------------------------

def test_the_vcard_carries_the_customer_s_language(as_owner, make_customer):
    jana = make_customer("Jana Weber", language="de")
    ana = make_customer("Ana García")
    card = vobject.readOne(as_owner.get(f"/customers/{jana.id}.vcf").get_data(as_text=True))
    assert card.lang.value == "de"
    plain = vobject.readOne(as_owner.get(f"/customers/{ana.id}.vcf").get_data(as_text=True))
    assert "lang" not in plain.contents


def test_a_vcard_s_language_comes_in_with_the_contact(as_owner, app, make_customer):
    from tests.test_vcards import upload as upload_vcards

    cards = ("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jana Weber\r\nLANG:de-AT\r\nEND:VCARD\r\n"
             "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Priya Sharma\r\nLANG;PREF=2:en\r\nLANG;PREF=1:hi\r\nEND:VCARD\r\n"
             "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jean Dupont\r\nLANG:fr\r\nEND:VCARD\r\n"
             "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ana García\r\nLANG:en\r\nEND:VCARD\r\n")
    make_customer("Ana García", language="es")
    response = upload_vcards(as_owner, cards)
    assert response.status_code in (200, 303)
    with app.app_context():
        # Merged into one on file: what the shop knows stays.
        assert {c.name: c.language for c in db.session.scalars(select(Customer))} == {
            "Jana Weber": "de", "Priya Sharma": "hi", "Jean Dupont": None, "Ana García": "es"}


def test_export_and_import_of_a_vcard_keep_the_language(as_owner, app, make_customer):
    from tests.test_vcards import upload as upload_vcards

    jana = make_customer("Jana Weber", language="de", email="jana@example.de")
    exported = as_owner.get(f"/customers/{jana.id}.vcf").get_data(as_text=True)
    with app.app_context():
        db.session.delete(db.session.get(Customer, jana.id))
        db.session.commit()
    upload_vcards(as_owner, exported)
    with app.app_context():
        assert [(c.name, c.language) for c in db.session.scalars(select(Customer))] == [("Jana Weber", "de")]


def test_the_language_settings_answer_htmx_with_the_fragment(as_owner):
    response = as_owner.get("/quotes/settings", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Languages the shop offers" in text_of(response) and checked(html, "languages")
