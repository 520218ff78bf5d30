"""A campaign written in several languages: each recipient gets the version in their own language, readers of a
language without one get the version the owner chose, and the preview shows every version with who gets it."""
import pytest
from sqlalchemy import select

from extensions import db
from models import Campaign, OutgoingEmail
from sales.languages import shop_language
from sales.messaging import campaigns
from tests.conftest import text_of
from tests.test_campaigns import campaign_form


@pytest.fixture
def readers(make_customer):
    """Agreed customers in Lübeck: one reads German, one Hindi, one has no language (the shop's)."""
    common = {"city": "Lübeck", "street": "Breite Straße 1", "email_opt_in": True}
    return {
        "de": make_customer("Jürgen Köhler", email="juergen@example.com", language="de", **common),
        "hi": make_customer("Priya Deshpande", email="priya@example.com", language="hi", **common),
        "shop": make_customer("Marta Ruiz", email="marta@example.com", **common),
    }


def german(**changes):
    data = campaign_form(city="Lübeck", subject="Revisión de primavera, {name}",
                         body="Hola {name},\ntu bici merece una revisión en {shop}.",
                         subject_de="Frühjahrs-Check, {name}",
                         body_de="Hallo {name},\nIhr Fahrrad verdient einen Check bei {shop}.")
    data.update(changes)
    return data


def test_each_recipient_gets_their_languages_version_and_the_others_the_fallback(app, as_seller, readers):
    response = as_seller.post("/mail/campaigns/new", data=german(fallback_language="de"))
    assert response.status_code == 303, text_of(response)
    campaign_id = int(response.location.rsplit("/", 1)[1])
    as_seller.post(f"/mail/campaigns/{campaign_id}/send")
    with app.app_context():
        sent = {email.customer_id: email for email in db.session.scalars(
            select(OutgoingEmail).where(OutgoingEmail.campaign_id == campaign_id))}
        shop = shop_language()
        footer = {code: campaigns.unsubscribe_footer("", code).strip() for code in ("de", shop)}
    assert len(sent) == 3
    assert sent[readers["de"].id].subject == "Frühjahrs-Check, Jürgen Köhler"
    assert "Ihr Fahrrad verdient einen Check" in sent[readers["de"].id].body
    assert footer["de"] != footer[shop] and footer["de"] in sent[readers["de"].id].body
    # Nothing is written in Hindi: its reader gets the fallback the owner chose, German.
    assert sent[readers["hi"].id].subject == "Frühjahrs-Check, Priya Deshpande"
    # A customer without a language of their own reads the shop's: the main version, with its footer.
    assert sent[readers["shop"].id].subject == "Revisión de primavera, Marta Ruiz"
    assert footer[shop] in sent[readers["shop"].id].body


def test_the_fallback_defaults_to_the_main_version(app, as_seller, readers):
    as_seller.post("/mail/campaigns/new", data=german())
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        assert campaigns.version_for(campaign, "hi")[1] == "Revisión de primavera, {name}"
        assert campaigns.version_for(campaign, "de")[1] == "Frühjahrs-Check, {name}"


def test_the_preview_shows_every_version_and_who_gets_it(app, as_seller, readers):
    response = as_seller.post("/mail/campaigns/new", data=german(fallback_language="de"))
    campaign_id = int(response.location.rsplit("/", 1)[1])
    page = text_of(as_seller.get(f"/mail/campaigns/{campaign_id}?preview={readers['shop'].id}"))
    assert "Revisión de primavera, Marta Ruiz" in page
    assert "The Español version, for 1 customer." in page
    # The German version, as the chosen customer would see it, counting the Hindi reader it goes to as well.
    assert "Deutsch · 2 customers · 1 of them read हिन्दी" in page
    assert "Frühjahrs-Check, Marta Ruiz" in page
    page = text_of(as_seller.get(f"/mail/campaigns/{campaign_id}?preview={readers['de'].id}"))
    assert "The Deutsch version, for 2 customers." in page


def test_half_a_version_is_refused_next_to_the_field_and_kept(as_seller, readers):
    response = as_seller.post("/mail/campaigns/new", data=german(body_de="", subject_hi="",
                                                                 body_hi="नमस्ते {name}"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    page = text_of(response)
    assert "Write the message too, or leave both empty." in page
    assert "Write the subject too, or leave both empty." in page
    assert 'value="Frühjahrs-Check, {name}"' in html and "नमस्ते {name}" in page


def test_a_fallback_that_is_not_written_is_refused(as_seller, readers):
    response = as_seller.post("/mail/campaigns/new", data=german(fallback_language="hi"))
    assert response.status_code == 422
    assert "That version is not written: choose one that is." in text_of(response)


def test_editing_shows_the_versions_and_keeps_them(app, as_seller, readers):
    response = as_seller.post("/mail/campaigns/new", data=german(fallback_language="de"))
    campaign_id = int(response.location.rsplit("/", 1)[1])
    form = as_seller.get(f"/mail/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert 'value="Frühjahrs-Check, {name}"' in form
    assert '<option selected value="de">' in form or '<option value="de" selected>' in form
    as_seller.post(f"/mail/campaigns/{campaign_id}/edit", data=german(fallback_language="de", name="Renamed"))
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.name == "Renamed" and campaign.versions["de"]["subject"] == "Frühjahrs-Check, {name}"
        assert campaign.language == shop_language() and campaign.fallback_language == "de"
