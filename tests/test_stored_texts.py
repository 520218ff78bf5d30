"""Texts the app writes into the database while someone works (a closed deal's follow-up goal, a reopening's
note, an import's problems) are shown in the language of whoever reads them, not of whoever was working; what
staff edit afterwards (a maintenance ticket's title) is written in the shop's language (sales/texts.py)."""
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import select

from extensions import db
from models import ImportJob, MaintenancePlan, ShopSetting, Ticket
from sales.clock import shop_today
from sales.texts import Nn_, N_, shown, stored
from tests.conftest import login, stage_id, text_of
from tests.test_customer_import import FILE, upload
from tests.test_support import make_sale  # noqa: F401 (fixture)

FOLLOW = (shop_today() + timedelta(days=5)).isoformat()


def _in(app, language, msgid, **params):
    """`msgid` as the catalogue of `language` writes it (nested texts given as (msgid, params) pairs)."""
    with app.test_request_context(), force_locale(language):
        return gettext(msgid, **{key: gettext(value[0], **value[1]) if isinstance(value, tuple) else value
                                 for key, value in params.items()})


@pytest.fixture
def readers(app, make_user):
    """A Spanish seller who works, and a German and a Spanish owner who read, each on their own tablet."""
    clients = {}
    for name, role, language in (("worker", "seller", "es"), ("de", "owner", "de"), ("es", "owner", "es")):
        client = app.test_client()
        login(client, make_user(role, language=language))
        clients[name] = client
    return clients


def test_a_closed_deal_s_follow_up_reads_in_each_readers_language(app, readers, make_customer, make_lead):
    customer = make_customer("Club Ciclista Norte")
    lead = make_lead(customer, title="Fleet of 6", stage="Negotiation")
    with app.app_context():
        from models import Lead, User

        worker_id = db.session.scalars(select(User.id).where(User.language == "es", User.role == "seller")).one()
        db.session.get(Lead, lead.id).seller_id = worker_id
        db.session.commit()
    closed = readers["worker"].post(f"/negotiation/lead/{lead.id}/close", data={
        "outcome": "lost", "lost_reason": "no_budget", "follow_up": "Llamar en primavera", "follow_up_on": FOLLOW})
    assert closed.status_code == 303
    reopened = readers["worker"].post(f"/negotiation/lead/{lead.id}/reopen", data={
        "stage_id": str(stage_id(app, "Negotiation")), "reason": "Vuelve con presupuesto"})
    assert reopened.status_code == 303
    for reader in ("de", "es"):
        goal = _in(app, reader, "Goal: %(goal)s", goal=("Deal lost: %(title)s", {"title": "Fleet of 6"}))
        timeline = text_of(readers[reader].get(f"/customers/{customer.id}"))
        assert goal in timeline
        note = _in(app, reader, "Reopened: %(reason)s", reason="Vuelve con presupuesto")
        assert note in text_of(readers[reader].get(f"/negotiation/lead/{lead.id}"))
    assert _in(app, "de", "Deal lost: %(title)s", title="x") != _in(app, "es", "Deal lost: %(title)s", title="x")


def test_an_import_problem_reads_in_each_readers_language(app, make_user):
    spanish, german = app.test_client(), app.test_client()
    login(spanish, make_user("owner", language="es"))
    login(german, make_user("owner", language="de"))
    location, form = upload(spanish, FILE)
    response = spanish.post(location, data={**form, "action": "check"})
    assert response.status_code == 303
    progress = response.location
    for _ in range(20):
        with app.app_context():
            if db.session.scalars(select(ImportJob.status)).one() == "checked":
                break
        spanish.post(progress.replace("/progress", "/step"))
    for reader, client in (("de", german), ("es", spanish)):
        problem = _in(app, reader, "“%(value)s” is not an email address.", value="not-an-email")
        assert problem in text_of(client.get(progress))
        csv = client.get(progress.replace("/progress", "/problems.csv")).get_data(as_text=True)
        assert problem in csv


def test_a_maintenance_ticket_title_is_written_in_the_shops_language(app, make_user, make_customer, make_sale):  # noqa: F811
    customer = make_customer()
    line_id = make_sale(customer, product_name="E-City bike")
    with app.app_context():
        db.session.add(ShopSetting(key="shop_language", value="de"))
        db.session.add(MaintenancePlan(customer_id=customer.id, order_line_id=line_id, every_months=6,
                                       next_due_on=shop_today() - timedelta(days=1)))
        db.session.commit()
    spanish = app.test_client()
    login(spanish, make_user("owner", language="es"))
    assert spanish.post("/support/maintenance/run").status_code == 303
    with app.app_context():
        title = db.session.scalars(select(Ticket.title)).one()
    # Plain text the staff may edit, in the shop's German whoever pressed the button.
    assert title == _in(app, "de", "Scheduled maintenance: %(what)s", what="E-City bike")


def test_stored_texts_keep_what_people_typed_and_fit_their_column(app):
    with app.test_request_context():
        assert shown("Llamar en primavera") == "Llamar en primavera" and shown(None) is None
        assert shown('{"msgid": broken') == '{"msgid": broken'
        with force_locale("de"):
            summary = shown(stored(Nn_("%(num)d ticket set to “%(status)s”.", "%(num)d tickets set to “%(status)s”."),
                                   num=3, status=stored(N_("Closed"))))
            assert summary == ngettext("%(num)d ticket set to “%(status)s”.", "%(num)d tickets set to “%(status)s”.", 3,
                                       status=gettext("Closed"))
        long = stored(N_("Deal lost: %(title)s"), title="x" * 400, limit=300)
        assert len(long) <= 300 and shown(long).startswith("Deal lost: xxx") and shown(long).endswith("…")
