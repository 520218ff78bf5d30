"""Renaming and removing branches, teams and routing rules (issue 21): a confirmation that says what becomes of
the people, customers and leads in it, ten minutes of Undo, and a 409 that keeps what was typed when someone
changed it meanwhile."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from extensions import db
from models import Branch, BranchRule, BulkAction, Customer, Lead, Team, User
from tests.conftest import text_of


@pytest.fixture
def structure(app, make_user):
    seller, manager = make_user("seller", name="Sara Seller"), make_user("seller", name="Marta Manager")
    from sales.leads.stages import ensure_default_stages

    with app.test_request_context():
        first = ensure_default_stages()[0]
        branch = Branch(name="Toledo")
        db.session.add(branch)
        db.session.flush()
        team = Team(name="Toledo floor", branch_id=branch.id)
        db.session.add(team)
        db.session.flush()
        db.session.add(BranchRule(branch_id=branch.id, field="city", value="Toledo"))
        db.session.get(User, seller.id).team_id = team.id
        person = db.session.get(User, manager.id)
        person.team_id, person.manages_team = team.id, True
        customers = [Customer(name=f"Customer {n}", branch_id=branch.id) for n in range(3)]
        db.session.add_all(customers)
        db.session.flush()
        leads = [Lead(customer_id=customers[n].id, title=f"Bike {n}", seller_id=seller.id, branch_id=branch.id,
                      stage_id=first.id) for n in range(2)]
        db.session.add_all(leads)
        db.session.commit()
        return {"branch": branch.id, "team": team.id, "seller": seller.id, "manager": manager.id,
                "rule": db.session.scalar(select(BranchRule.id)), "leads": [lead.id for lead in leads],
                "customers": [c.id for c in customers]}


def _version(app, model, record_id):
    with app.app_context():
        return db.session.get(model, record_id).version


def test_the_owner_renames_a_branch_and_a_team_and_a_name_taken_or_a_change_meanwhile_is_refused(
        app, as_owner, structure):
    page = as_owner.get(f"/users/teams/branches/{structure['branch']}")
    assert page.status_code == 200 and 'value="Toledo"' in page.get_data(as_text=True)
    version = _version(app, Branch, structure["branch"])
    saved = as_owner.post(f"/users/teams/branches/{structure['branch']}", data={
        "branch-name": "Toledo centro", "branch-assignment": "round_robin", "branch-default_seller_id": "0",
        "branch-version": str(version)})
    assert saved.status_code == 303
    assert "Toledo centro" in text_of(as_owner.get("/users/teams"))
    # Someone else renamed the team while this form was open: 409, and what was typed is still there.
    version = _version(app, Team, structure["team"])
    with app.app_context():
        db.session.get(Team, structure["team"]).name = "Toledo tienda"
        db.session.commit()
    stale = as_owner.post(f"/users/teams/{structure['team']}", data={
        "team-name": "Floor of Toledo", "team-branch_id": str(structure["branch"]), "team-version": str(version)})
    assert stale.status_code == 409
    assert "Someone else changed this while you were editing" in text_of(stale)
    assert 'value="Floor of Toledo"' in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Team, structure["team"]).name == "Toledo tienda"
        db.session.add(Team(name="Madrid"))
        db.session.commit()
    taken = as_owner.post(f"/users/teams/{structure['team']}", data={
        "team-name": "madrid", "team-branch_id": "0", "team-version": str(_version(app, Team, structure["team"]))})
    assert taken.status_code == 422 and "There is already a team with this name." in text_of(taken)
    blank = as_owner.post(f"/users/teams/{structure['team']}", data={"team-name": "", "team-branch_id": "0"})
    assert blank.status_code == 422


def test_a_routing_rule_is_changed_and_a_change_meanwhile_is_a_409(app, as_owner, structure):
    page = as_owner.get(f"/users/teams/rules/{structure['rule']}").get_data(as_text=True)
    was = f"city|Toledo|{structure['branch']}"
    assert f'value="{was}"' in page
    data = {"rule-field": "postal_code", "rule-value": "45", "rule-branch_id": str(structure["branch"]),
            "rule-was": was}
    with app.app_context():
        db.session.get(BranchRule, structure["rule"]).value = "Talavera"
        db.session.commit()
    stale = as_owner.post(f"/users/teams/rules/{structure['rule']}", data=data)
    assert stale.status_code == 409 and 'value="45"' in stale.get_data(as_text=True)
    data["rule-was"] = f"city|Talavera|{structure['branch']}"
    assert as_owner.post(f"/users/teams/rules/{structure['rule']}", data=data).status_code == 303
    with app.app_context():
        rule = db.session.get(BranchRule, structure["rule"])
        assert (rule.field, rule.value) == ("postal_code", "45")


def test_removing_a_team_says_its_people_become_no_team_and_undo_puts_them_back(app, as_owner, structure):
    confirm = text_of(as_owner.get(f"/users/teams/{structure['team']}/delete"))
    assert "Remove the team “Toledo floor”?" in confirm
    assert "2 people in it become “no team”." in confirm and "1 manager of it no longer sees anyone else's work." in confirm
    done = as_owner.post(f"/users/teams/{structure['team']}/delete")
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Team, structure["team"]) is None
        assert db.session.get(User, structure["seller"]).team_id is None
        assert not db.session.get(User, structure["manager"]).is_manager
        # Meanwhile the seller is put in another team: the undo leaves them there.
        other = Team(name="Madrid")
        db.session.add(other)
        db.session.flush()
        db.session.get(User, structure["seller"]).team_id = other.id
        db.session.commit()
        other_id = other.id
    page = text_of(as_owner.get(done.location))
    assert "Team “Toledo floor” removed. Undo (for ten minutes)" in page
    with app.app_context():
        action = db.session.scalar(select(BulkAction.id).where(BulkAction.entity == "teams"))
    undone = as_owner.post("/users/teams/undo", data={"action": str(action)})
    assert undone.status_code == 303
    assert "Undone: “Toledo floor” is back as it was." in text_of(as_owner.get(undone.location))
    with app.app_context():
        # (SQLite may have given the team's id to "Madrid" meanwhile: then it is back under a new one.)
        team = db.session.scalar(select(Team).where(Team.name == "Toledo floor"))
        assert team.branch_id == structure["branch"]
        assert db.session.get(User, structure["manager"]).team_id == team.id
        assert db.session.get(User, structure["manager"]).is_manager
        assert db.session.get(User, structure["seller"]).team_id == other_id
    again = as_owner.post("/users/teams/undo", data={"action": str(action)})
    assert "This can no longer be undone" in text_of(as_owner.get(again.location))


def test_removing_a_branch_frees_its_teams_customers_and_leads_and_undo_within_ten_minutes_only(
        app, as_owner, structure, make_user):
    confirm = text_of(as_owner.get(f"/users/teams/branches/{structure['branch']}/delete"))
    assert "1 team of it becomes a team in no branch." in confirm
    assert "3 customers are no longer in a branch." in confirm
    assert "2 leads are no longer in a branch (they keep their sellers)." in confirm
    assert "Its 1 routing rule is removed" in confirm
    assert as_owner.post(f"/users/teams/branches/{structure['branch']}/delete").status_code == 303
    with app.app_context():
        assert db.session.get(Team, structure["team"]).branch_id is None
        assert db.session.scalar(select(Lead.branch_id).where(Lead.id == structure["leads"][0])) is None
        assert db.session.scalar(select(Customer.branch_id).where(Customer.id == structure["customers"][0])) is None
        assert db.session.scalar(select(BranchRule.id)) is None
        assert db.session.get(Lead, structure["leads"][0]).seller_id == structure["seller"]
        action = db.session.scalar(select(BulkAction.id).where(BulkAction.entity == "branches"))
    # Another owner cannot undo it; nor can anyone once ten minutes have gone.
    other = make_user("owner")
    from tests.record_shop import sign_in

    assert sign_in(app.test_client(), other.id).post("/users/teams/undo",
                                                     data={"action": str(action)}).status_code == 404
    assert as_owner.post("/users/teams/undo", data={"action": "bogus"}).status_code == 404
    with app.app_context():
        at = db.session.get(BulkAction, action).at
        db.session.execute(update(BulkAction).values(at=at - timedelta(minutes=11)))
        db.session.commit()
    late = as_owner.post("/users/teams/undo", data={"action": str(action)})
    assert "This can no longer be undone" in text_of(as_owner.get(late.location))
    with app.app_context():
        db.session.execute(update(BulkAction).values(at=at, undone_at=None))
        db.session.commit()
    as_owner.post("/users/teams/undo", data={"action": str(action)})
    with app.app_context():
        assert db.session.get(Branch, structure["branch"]).name == "Toledo"
        assert db.session.get(Team, structure["team"]).branch_id == structure["branch"]
        assert db.session.scalar(select(Lead.branch_id).where(Lead.id == structure["leads"][1])) == structure["branch"]
        assert {(r.field, r.value) for r in db.session.scalars(select(BranchRule))} == {("city", "Toledo")}


def test_removing_a_rule_asks_first_and_can_be_undone(app, as_owner, structure):
    confirm = text_of(as_owner.get(f"/users/teams/rules/{structure['rule']}/delete"))
    assert "Leads already routed stay where they are." in confirm
    done = as_owner.post(f"/users/teams/rules/{structure['rule']}/delete")
    assert "Routing rule removed." in text_of(as_owner.get(done.location))
    with app.app_context():
        assert db.session.scalar(select(BranchRule.id)) is None
        action = db.session.scalar(select(BulkAction.id).where(BulkAction.entity == "branch_rules"))
    as_owner.post("/users/teams/undo", data={"action": str(action)})
    with app.app_context():
        assert db.session.get(BranchRule, structure["rule"]).value == "Toledo"


def test_only_the_owner_renames_or_removes(app, client, structure):
    from tests.record_shop import sign_in

    manager = sign_in(app.test_client(), structure["manager"])
    for url in (f"/users/teams/{structure['team']}", f"/users/teams/{structure['team']}/delete",
                f"/users/teams/branches/{structure['branch']}/delete"):
        assert manager.get(url).status_code == 403 and manager.post(url).status_code == 403
    assert manager.post("/users/teams/undo", data={"action": "1"}).status_code == 403
