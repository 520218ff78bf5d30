"""Mailing campaigns: the audience and who is left out (consent, unsubscribed), the preview, sending in batches,
the unsubscribe link that works without signing in, letters, and the results."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from extensions import db
from models import Campaign, Customer, Order, OutgoingEmail, utcnow
from sales.languages import shop_language
from sales.messaging import campaigns
from tests.conftest import login, text_of
from sales.clock import shop_today


def campaign_form(**changes):
    data = {"name": "Spring service", "channel": "email", "subject": "Spring check-up, {name}",
            "body": "Hello {name},\nyour bike deserves a check-up at {shop}.", "tag": "", "city": "",
            "lead_source": "", "product_id": "0", "segment_id": "0", "follow_days": "30"}
    data.update(changes)
    return data


@pytest.fixture
def audience(make_customer):
    """Five customers in Toledo: two agreed, one agreed and then unsubscribed, one never agreed, one without
    email; and one agreed customer elsewhere."""
    return {
        "ana": make_customer("Ana García", email="ana@example.com", city="Toledo", street="Calle Mayor 1",
                             email_opt_in=True),
        "luis": make_customer("Luis Pérez", email="luis@example.com", city="Toledo", street="Calle Real 2",
                              email_opt_in=True),
        "eva": make_customer("Eva Gone", email="eva@example.com", city="Toledo", street="Calle del Pez 3",
                             email_opt_in=True, unsubscribed_at=utcnow()),
        "nora": make_customer("Nora Nunca", email="nora@example.com", city="Toledo", street="Plaza 4"),
        "paco": make_customer("Paco Papel", city="Toledo", street="Camino del Río 5", email_opt_in=True),
        "madrid": make_customer("Mario Madrid", email="mario@example.com", city="Madrid", email_opt_in=True),
    }


def new_campaign(client, **changes):
    response = client.post("/mail/campaigns/new", data=campaign_form(**changes))
    assert response.status_code == 303, text_of(response)
    return int(response.location.rsplit("/", 1)[1])


def test_audience_filter_by_tag_city_source_and_product(app, make_customer, make_lead, seller):
    from models import OrderLine, Product

    ana = make_customer("Ana", city="Toledo", tags=("vip",))
    luis = make_customer("Luis", city="toledo")
    make_customer("Archived", city="Toledo", archived_at=utcnow())
    make_lead(luis, seller, source="web_form")
    with app.app_context():
        product = Product(code="H1", name="Helmet", unit_price=Decimal("50"))
        order = Order(number="O-1", customer_id=ana.id, ordered_on=shop_today())
        order.lines.append(OrderLine(product=product, description="Helmet", quantity=Decimal(1),
                                     unit_price=Decimal(50), line_total=Decimal(50)))
        db.session.add(order)
        db.session.commit()

        def ids(**filters):
            return set(db.session.scalars(campaigns.campaign_audience(filters)))

        assert ids(city="Toledo") == {ana.id, luis.id}
        assert ids(tag="VIP") == {ana.id}
        assert ids(lead_source="web_form") == {luis.id}
        assert ids(product_id=product.id) == {ana.id}
        assert ids(city="Toledo", tag="vip", lead_source="web_form") == set()


def test_campaign_skips_unsubscribed_and_not_agreed_and_says_so(as_seller, audience, app):
    campaign_id = new_campaign(as_seller, city="Toledo")
    page = text_of(as_seller.get(f"/mail/campaigns/{campaign_id}"))
    assert "2 customers will receive it" in page
    assert "5 customers match the filter" in page
    assert "1 left out: unsubscribed" in page
    assert "1 left out: did not agree to mailings" in page
    assert "1 left out: no address" in page
    # The preview, for the first reachable customer, with the placeholders filled in.
    assert "Spring check-up, Ana García" in page and "your bike deserves a check-up at Mostrador." in page
    luis = audience["luis"]
    assert "Spring check-up, Luis Pérez" in text_of(as_seller.get(f"/mail/campaigns/{campaign_id}?preview={luis.id}"))

    response = as_seller.post(f"/mail/campaigns/{campaign_id}/send", follow_redirects=True)
    page = text_of(response)
    assert "2 of 2 done" in page and "Emails sent 2" in page and "Bounced 0" in page
    with app.app_context():
        emails = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.to_address)).all()
        assert [e.to_address for e in emails] == ["ana@example.com", "luis@example.com"]
        assert all(e.status == "sent" and e.campaign_id == campaign_id for e in emails)
        assert all(re.search(r"\n--\n.*: http://localhost/p/unsubscribe/\S+", e.body) for e in emails)
        assert b"List-Unsubscribe:" in emails[0].raw


def test_unsubscribe_link_works_without_signing_in_and_the_next_campaign_skips_them(as_seller, audience, app,
                                                                                    client):
    campaign_id = new_campaign(as_seller, city="Toledo")
    as_seller.post(f"/mail/campaigns/{campaign_id}/send")
    with app.app_context():
        body = db.session.scalar(select(OutgoingEmail.body).where(OutgoingEmail.to_address == "ana@example.com"))
    path = re.search(r"http://localhost(/p/unsubscribe/\S+)", body).group(1)

    # Ana has no language of her own: her page speaks the shop's.
    with app.test_request_context(), force_locale(shop_language()):
        asks, done = gettext("Unsubscribe from our mailings?"), gettext("You are unsubscribed")
    stranger = app.test_client()                       # no session: the link alone is enough
    page = stranger.get(path)
    assert page.status_code == 200 and asks in text_of(page)
    assert page.headers["Cache-Control"] == "no-store"
    response = stranger.post(path)
    assert response.status_code == 303
    assert done in text_of(stranger.get(path))
    with app.app_context():
        ana = db.session.get(Customer, audience["ana"].id)
        assert ana.unsubscribed_at is not None and not ana.email_opt_in

    second = new_campaign(as_seller, city="Toledo", name="Autumn")
    assert "1 customer will receive it" in text_of(as_seller.get(f"/mail/campaigns/{second}"))
    assert "Unsubscribed on" in text_of(as_seller.get(f"/customers/{audience['ana'].id}"))


def test_one_click_unsubscribe_from_a_mail_program_needs_no_form(app, audience, csrf_on):
    with app.test_request_context():
        from sales.messaging.portal import unsubscribe_url

        url = unsubscribe_url(db.session.get(Customer, audience["luis"].id))
    response = app.test_client().post(url.replace("http://localhost", ""),
                                      data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Customer, audience["luis"].id).unsubscribed_at is not None


def test_a_forged_unsubscribe_link_is_404(client, audience):
    assert client.get("/p/unsubscribe/1").status_code == 404
    assert client.post("/p/unsubscribe/eyJ4IjoxfQ.forged").status_code == 404


def test_someone_unsubscribing_between_batches_is_not_mailed(app, audience, seller):
    with app.test_request_context():
        campaign = Campaign(name="Batches", channel="email", subject="Hi", body="Hi {name}",
                            filters='{"city": "Toledo"}')
        db.session.add(campaign)
        assert campaigns.start(campaign) == 2
        from sales.messaging.portal import unsubscribe, unsubscribe_url

        campaigns.send_batch(campaign, unsubscribe_url, size=1)          # Ana (by name)
        assert campaign.status == "sending" and campaigns.progress(campaign) == (1, 2)
        unsubscribe(db.session.get(Customer, audience["luis"].id))
        campaigns.send_batch(campaign, unsubscribe_url, size=1)
        assert campaign.status == "done"
        db.session.commit()
        assert db.session.scalars(select(OutgoingEmail.to_address)).all() == ["ana@example.com"]


def test_letters_campaign_gives_a_printable_address_list(as_seller, audience):
    campaign_id = new_campaign(as_seller, city="Toledo", channel="letter")
    page = text_of(as_seller.get(f"/mail/campaigns/{campaign_id}"))
    # Letters need an address, not email consent; the unsubscribed are still left out.
    assert "4 customers will receive it" in page and "1 left out: unsubscribed" in page
    as_seller.post(f"/mail/campaigns/{campaign_id}/send")
    letters = text_of(as_seller.get(f"/mail/campaigns/{campaign_id}/letters"))
    assert "4 letters" in letters
    for name in ("Ana García", "Luis Pérez", "Nora Nunca", "Paco Papel", "Camino del Río 5"):
        assert name in letters
    assert "Eva Gone" not in letters


def test_results_count_leads_and_sales_within_the_days(as_seller, audience, app, make_lead, seller):
    campaign_id = new_campaign(as_seller, city="Toledo", follow_days="10")
    as_seller.post(f"/mail/campaigns/{campaign_id}/send")
    make_lead(audience["ana"], seller, title="Spring service")
    make_lead(audience["nora"], seller, title="Not a recipient")
    with app.app_context():
        db.session.add_all([
            Order(number="O-1", customer_id=audience["luis"].id, ordered_on=shop_today(), total=Decimal("120")),
            Order(number="O-2", customer_id=audience["ana"].id, ordered_on=shop_today() + timedelta(days=11),
                  total=Decimal("999")),
        ])
        db.session.commit()
    page = text_of(as_seller.get(f"/mail/campaigns/{campaign_id}"))
    assert "Leads created 1" in page
    assert "Sales within 10 days 1 · €120.00" in page


def test_bounces_are_counted_from_what_the_server_refused(as_seller, audience, app, smtp_settings):
    from tests.mail_servers import SMTPServer

    with app.app_context():
        db.session.get(Customer, audience["luis"].id).email = "luis@nowhere.example"
        db.session.commit()
    campaign_id = new_campaign(as_seller, city="Toledo")
    with SMTPServer() as server:
        smtp_settings(server.port)
        page = text_of(as_seller.get(f"/mail/campaigns/{campaign_id}"))
        assert "2 customers will receive it" in page
        page = text_of(as_seller.post(f"/mail/campaigns/{campaign_id}/send", follow_redirects=True))
    assert "Emails sent 1" in page and "Bounced 1" in page
    assert len(server.messages) == 1


def test_campaign_form_keeps_values_and_shows_errors(as_seller):
    response = as_seller.post("/mail/campaigns/new", data=campaign_form(name="", follow_days="0"))
    assert response.status_code == 422
    page = text_of(response)
    assert "Give the campaign a name." in page and "Spring check-up, {name}" in response.get_data(as_text=True)


def test_campaign_pages_plain_and_htmx_and_roles(as_seller, client, make_user, audience, count_queries):
    campaign_id = new_campaign(as_seller, city="Toledo")
    for n in range(5):
        new_campaign(as_seller, name=f"Extra {n}")
    with count_queries() as queries:
        page = as_seller.get("/mail/campaigns/")
    assert "Spring service" in text_of(page) and len(queries) <= 8
    for url in ("/mail/campaigns/", f"/mail/campaigns/{campaign_id}", "/mail/campaigns/new",
                f"/mail/campaigns/{campaign_id}/edit"):
        fragment = as_seller.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True), url
    assert as_seller.get("/mail/campaigns/999").status_code == 404
    as_seller.post("/logout")
    login(client, make_user("support"))
    assert client.get("/mail/campaigns/").status_code == 403
    assert client.post(f"/mail/campaigns/{campaign_id}/send").status_code == 403


def test_a_started_campaign_cannot_be_edited(as_seller, audience):
    campaign_id = new_campaign(as_seller, city="Toledo")
    as_seller.post(f"/mail/campaigns/{campaign_id}/send")
    response = as_seller.get(f"/mail/campaigns/{campaign_id}/edit", follow_redirects=True)
    assert "This campaign has started; it cannot change." in text_of(response)


def test_consent_is_recorded_on_the_customer_page(as_seller, make_customer, app):
    ana = make_customer("Ana García", email="ana@example.com")
    assert "Has not agreed to mailings" in text_of(as_seller.get(f"/customers/{ana.id}"))
    response = as_seller.post(f"/mail/customer/{ana.id}/consent", data={"email_opt_in": "y"}, follow_redirects=True)
    assert "Ana García receives our mailings by email." in text_of(response)
    assert "Receives our mailings by email" in text_of(response)
    # The record's history names the change in words, not as the stored True/False.
    assert "Agrees to receive our mailings by email No → Yes" in text_of(response)
    as_seller.post(f"/mail/customer/{ana.id}/consent", data={})
    with app.app_context():
        assert not db.session.get(Customer, ana.id).email_opt_in


def test_a_saved_segment_is_the_audience_and_consent_still_rules(as_owner, audience, app):
    from sales.management import segments

    with app.app_context():
        segment = segments.save("Toledo people", {"city": "Toledo"})
        db.session.commit()
        segment_id = segment.id
    # From the segment's page, one tap leads to a new campaign with that segment chosen.
    segment_page = as_owner.get(f"/manage/segments/{segment_id}").get_data(as_text=True)
    assert f"/mail/campaigns/new?segment_id={segment_id}" in segment_page
    form = as_owner.get(f"/mail/campaigns/new?segment_id={segment_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{segment_id}">Toledo people</option>', form)

    campaign_id = new_campaign(as_owner, segment_id=str(segment_id))
    page = text_of(as_owner.get(f"/mail/campaigns/{campaign_id}"))
    assert "segment: Toledo people" in page
    assert "5 customers match the filter" in page and "2 customers will receive it" in page
    assert "1 left out: unsubscribed" in page
    # Filters narrow the segment further; Mario (Madrid) never was in it.
    narrowed = new_campaign(as_owner, segment_id=str(segment_id), city="Madrid")
    narrowed_page = text_of(as_owner.get(f"/mail/campaigns/{narrowed}"))
    assert "0 customers will receive it" in narrowed_page and "0 customers match the filter" in narrowed_page

    as_owner.post(f"/mail/campaigns/{campaign_id}/send")
    with app.app_context():
        sent = db.session.scalars(select(OutgoingEmail.to_address).where(OutgoingEmail.campaign_id == campaign_id)
                                  .order_by(OutgoingEmail.to_address)).all()
    assert sent == ["ana@example.com", "luis@example.com"]


def test_a_deleted_segment_reaches_nobody_not_everyone(as_owner, audience, app):
    from models import Segment
    from sales.management import segments

    with app.app_context():
        segment = segments.save("Soon gone", {"city": "Toledo"})
        db.session.commit()
        segment_id = segment.id
    campaign_id = new_campaign(as_owner, segment_id=str(segment_id))
    with app.app_context():
        db.session.delete(db.session.get(Segment, segment_id))
        db.session.commit()
    page = text_of(as_owner.get(f"/mail/campaigns/{campaign_id}"))
    assert "(deleted: reaches nobody)" in page
    assert "0 customers match the filter" in page


def test_the_send_mail_cron_finishes_a_campaign_whose_page_was_closed(as_owner, make_customer, app, runner):
    for n in range(campaigns.BATCH_SIZE + 5):
        make_customer(f"Cliente {n:02d}", email=f"c{n}@example.com", city="Cuenca", email_opt_in=True)
    campaign_id = new_campaign(as_owner, city="Cuenca")
    as_owner.post(f"/mail/campaigns/{campaign_id}/send")     # the first batch; then the seller closes the page
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.status == "sending" and campaigns.progress(campaign) == (campaigns.BATCH_SIZE, 30)
    outcome = runner.invoke(args=["send-mail"])
    assert outcome.exit_code == 0 and "Campaigns: 5 more recipients done." in outcome.output
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "done"
        bodies = db.session.scalars(select(OutgoingEmail.body).where(OutgoingEmail.campaign_id == campaign_id)).all()
    assert len(bodies) == 30
    # Those sent by the cron carry a working unsubscribe link too, on the address the campaign was started from.
    assert all(re.search(r"\n--\n.*: http://localhost/p/unsubscribe/\S+", body) for body in bodies)
    assert "All sent" in text_of(as_owner.get(f"/mail/campaigns/{campaign_id}"))


def test_results_in_two_currencies_are_not_added_up(as_seller, audience, app):
    campaign_id = new_campaign(as_seller, city="Toledo", follow_days="10")
    as_seller.post(f"/mail/campaigns/{campaign_id}/send")
    with app.app_context():
        db.session.add_all([
            Order(number="O-1", customer_id=audience["luis"].id, ordered_on=shop_today(), total=Decimal("120")),
            Order(number="O-2", customer_id=audience["ana"].id, ordered_on=shop_today(), total=Decimal("80"),
                  currency="USD"),
        ])
        db.session.commit()
    page = text_of(as_seller.get(f"/mail/campaigns/{campaign_id}"))
    assert "Sales within 10 days 2 · €120.00 · $80.00 (in 2 currencies, not added up)" in page
