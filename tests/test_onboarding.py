"""A new seller's first days (issue 21, item 5): the playbook of answers that worked, the catalog's competitor
notes and the owner's checklist on one page the seller is pointed to (after setting their password, and from the
dashboard until they are done); a team's manager sees who of the team has gone through it, the owner everyone."""
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from models import Lead, Objection, OnboardingCheck, OnboardingItem, PipelineStage, Product, Team, User
from tests.conftest import text_of
from tests.record_shop import sign_in


def _write_checklist(client, text):
    return client.post("/onboarding/checklist", data={"text": text})


def _tick(client, item_id, done=True):
    return client.post("/onboarding/", data={"item": str(item_id), "done": "1" if done else "0"})


def _item_ids(app):
    with app.app_context():
        return list(db.session.scalars(select(OnboardingItem.id).order_by(OnboardingItem.position)))


def test_the_owner_writes_the_checklist_and_a_new_seller_goes_through_it_from_the_dashboard(
        app, client, owner, make_user):
    from tests.conftest import login

    login(client, owner)
    home = text_of(client.get("/"))
    assert "New sellers' first days" in home and "Write the checklist" in home
    saved = _write_checklist(client, "Read the returns policy\n  Sit in on two sales with Olga \n\nRead the returns policy")
    assert saved.status_code == 303
    with app.app_context():
        assert [i.text for i in db.session.scalars(select(OnboardingItem).order_by(OnboardingItem.position))] == [
            "Read the returns policy", "Sit in on two sales with Olga"]
    assert "New sellers' first days" not in text_of(client.get("/"))

    seller = make_user("seller", name="Nuria New")
    new = sign_in(app.test_client(), seller.id)
    home = text_of(new.get("/"))
    assert "Your first days" in home and "0 of 2 done" in home
    first, second = _item_ids(app)
    assert _tick(new, first).status_code == 303
    page = text_of(new.get("/onboarding/"))
    assert "1 of 2 done" in page and "Write the checklist" not in page     # the checklist is the owner's to write
    assert "1 of 2 done" in text_of(new.get("/"))
    done = _tick(new, second)
    assert "You have gone through your first days' checklist" in text_of(new.get(done.location))
    assert "Go through your first days" not in text_of(new.get("/"))    # done: the dashboard no longer points there
    # Unticking is one's own change too; a seller cannot write the checklist, nor tick an item that is not there.
    assert _tick(new, second, done=False).status_code == 303
    assert "1 of 2 done" in text_of(new.get("/"))
    assert new.post("/onboarding/checklist", data={"text": "Nothing"}).status_code == 403
    assert _tick(new, 999999).status_code == 404
    # Changing a line of the checklist makes it a new item; the unchanged one keeps its ticks.
    _write_checklist(client, "Read the returns policy\nSit in on three sales with Olga")
    with app.app_context():
        assert db.session.scalar(select(OnboardingCheck.item_id).where(OnboardingCheck.user_id == seller.id)) == first
    assert "1 of 2 done" in text_of(new.get("/"))


def test_the_page_holds_the_answers_that_won_deals_and_the_catalogs_competitor_notes(app, as_seller, seller):
    from sales.leads.stages import ensure_default_stages
    from models import Customer

    with app.app_context():
        stages = {s.kind: s for s in ensure_default_stages()}
        customer = Customer(name="Bea")
        db.session.add(customer)
        db.session.flush()
        won = Lead(customer_id=customer.id, title="Won bike", seller_id=seller.id, stage_id=stages["won"].id)
        lost = Lead(customer_id=customer.id, title="Lost bike", seller_id=seller.id, stage_id=stages["lost"].id)
        db.session.add_all([won, lost])
        db.session.flush()
        db.session.add_all([
            Objection(lead_id=won.id, kind="price", customer_words="Too dear", answer="Spread it over 12 months",
                      resolved=True),
            Objection(lead_id=lost.id, kind="price", customer_words="Too dear", answer="A free helmet", resolved=True),
            Product(code="CB1", name="Cargo bike", unit_price=Decimal("2000"),
                    competitor_note="Ours carries 20 kg more than Other Bikes' for the same price"),
            Product(code="H1", name="Helmet", unit_price=Decimal("50")),
        ])
        db.session.commit()
    page = text_of(as_seller.get("/onboarding/"))
    assert "Spread it over 12 months" in page and "A free helmet" not in page   # only answers on won deals
    assert "Cargo bike Ours carries 20 kg more than Other Bikes' for the same price" in page
    assert "Helmet" not in page
    assert "The owner has not written a checklist yet." in page
    fragment = as_seller.get("/onboarding/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_a_manager_sees_who_of_their_team_has_gone_through_it_and_nobody_elses(app, make_user):
    owner = make_user("owner", name="Olga Owner")
    with app.app_context():
        x, y = Team(name="Team X"), Team(name="Team Y")
        db.session.add_all([x, y])
        db.session.flush()
        manager = User(name="Marta Manager", email="m@shop.example", role="seller", team_id=x.id, manages_team=True)
        done = User(name="Dani Done", email="d@shop.example", role="seller", team_id=x.id)
        halfway = User(name="Hugo Halfway", email="h@shop.example", role="seller", team_id=x.id)
        other = User(name="Otto Other", email="o@shop.example", role="seller", team_id=y.id)
        items = [OnboardingItem(text="One", position=0), OnboardingItem(text="Two", position=1)]
        db.session.add_all([manager, done, halfway, other, *items])
        db.session.flush()
        db.session.add_all([OnboardingCheck(user_id=done.id, item_id=items[0].id),
                            OnboardingCheck(user_id=done.id, item_id=items[1].id),
                            OnboardingCheck(user_id=halfway.id, item_id=items[0].id),
                            OnboardingCheck(user_id=other.id, item_id=items[0].id),
                            OnboardingCheck(user_id=other.id, item_id=items[1].id)])
        db.session.commit()
        ids = {"manager": manager.id, "done": done.id, "other": other.id}
    page = text_of(sign_in(app.test_client(), ids["manager"]).get("/onboarding/"))
    assert "Who has gone through it" in page
    assert "Dani Done Gone through it" in page and "Hugo Halfway 1 of 2 done" in page
    assert "Otto Other" not in page
    everyone = text_of(sign_in(app.test_client(), owner.id).get("/onboarding/"))
    assert "Otto Other Gone through it" in everyone and "Dani Done Gone through it" in everyone
    # A seller who manages nobody sees only their own checklist.
    assert "Who has gone through it" not in text_of(sign_in(app.test_client(), ids["done"]).get("/onboarding/"))
    # Support has no onboarding page (it is about selling).
    support = make_user("support")
    assert sign_in(app.test_client(), support.id).get("/onboarding/").status_code == 403


def test_a_new_seller_lands_on_their_first_days_after_setting_their_password(app, client, make_user):
    from sales.accounts.rules import password_token

    make_user("owner")
    seller = make_user("seller", password=None)
    with app.app_context():
        db.session.add(OnboardingItem(text="Read the returns policy"))
        db.session.commit()
        token = password_token(db.session.get(User, seller.id))
    response = client.post(f"/set-password/{token}", data={"password": "a long password 1",
                                                           "confirm": "a long password 1"})
    assert response.status_code == 303 and response.location.endswith("/onboarding/"), response.location
