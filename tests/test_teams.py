"""The sales force's structure: a team's manager works their team's records and sees nothing of another team's
(decided in sales/records.py), reports per branch / team / manager / seller, the structure brought in by the user
import (the public sample's sales_teams.csv), and branch rules routing web-form leads."""
import csv
import io
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Branch, BranchRule, Lead, Team, User
from sales import records
from tests.conftest import text_of
from tests.record_shop import build_shop, sign_in
from tests.test_capture import post_web_form
from tests.test_record_routes import RULES as URL_RULES, ROUTES, photo_file, url_for_shop  # noqa: F401


def _teams(app, shop):
    """Seller A in team X with manager MX; seller B in team Y with manager MY."""
    with app.app_context():
        x, y = Team(name="Team X"), Team(name="Team Y")
        db.session.add_all([x, y])
        db.session.flush()
        db.session.get(User, shop["seller_a"]).team_id = x.id
        db.session.get(User, shop["seller_b"]).team_id = y.id
        mx = User(name="Manager X", email="mx@shop.example", role="seller", team_id=x.id, manages_team=True)
        my = User(name="Manager Y", email="my@shop.example", role="seller", team_id=y.id, manages_team=True)
        db.session.add_all([mx, my])
        db.session.commit()
        shop.update(manager_x=mx.id, manager_y=my.id, team_x=x.id, team_y=y.id)
    return shop


@pytest.fixture
def shop(app):
    return _teams(app, build_shop(app))


# --- The access matrix: records.py's rules, kind by kind ------------------------------------------------------------


# What a manager works for their team (issue 21); campaigns, segments, imports and emails stay their author's.
TEAM_WORK = {"Customer", "Lead", "ContactLog", "Quote", "QuoteRevision", "Order", "NegotiationNote", "Objection",
             "Concession", "DealCompetitor", "DecisionMaker", "Ticket", "Promise", "Inquiry"}


def _seen(model, user):
    if model is records.Figures:
        return set(db.session.scalars(select(User.id).where(records.visible(model, user))))
    return set(db.session.scalars(select(model.id).where(records.visible(model, user))))


def test_manager_of_team_x_sees_of_team_y_only_what_a_seller_of_x_sees_and_manager_y_sees_all_of_b(app, shop):
    with app.test_request_context():
        people = {key: db.session.get(User, shop[key]) for key in ("seller_a", "seller_b", "manager_x", "manager_y")}
        for model in records.RULES:
            if model is records.PortalLink:
                continue
            a, b = _seen(model, people["seller_a"]), _seen(model, people["seller_b"])
            mx, my = _seen(model, people["manager_x"]), _seen(model, people["manager_y"])
            if model is records.Figures:
                # Whose numbers: a manager their team's people, nobody else's.
                assert mx == {shop["seller_a"], shop["manager_x"]} and my == {shop["seller_b"], shop["manager_y"]}
                continue
            assert mx == a, f"{model.__name__}: manager X sees {mx - a} of team Y's"
            if model.__name__ in TEAM_WORK:
                assert b <= my, f"{model.__name__}: manager Y misses {b - my} of B's"
            for record in db.session.scalars(select(model)):
                assert records.may_view(people["manager_x"], record) == (record.id in mx), model.__name__
                assert records.may_view(people["manager_y"], record) == (record.id in my), model.__name__
                if model.__name__ in TEAM_WORK and records.may_change(people["seller_b"], record):
                    assert records.may_change(people["manager_y"], record), (model.__name__, "Y works B's")
                if not records.may_change(people["seller_a"], record):
                    assert not records.may_change(people["manager_x"], record), (model.__name__, "X works B's")
            if model in records.CHANGEABLE:
                changeable_x = set(db.session.scalars(select(model.id).where(
                    records.changeable(model, people["manager_x"]))))
                changeable_a = set(db.session.scalars(select(model.id).where(
                    records.changeable(model, people["seller_a"]))))
                assert changeable_x == changeable_a, model.__name__


# The route table (tests/test_record_routes.py), tried by both managers: X is refused wherever seller A is, and Y
# opens whatever B opens (GET: B's own routes change nothing). Routes only B personally may use are left out.
# Kinds that stay their author's (TEAM_WORK above): B's import job, campaign and segment are not B's manager's to open.
AUTHORS_ONLY = ("leads.import_", "messaging.edit_campaign", "management.delete_segment")


def _manager_cases():
    for rule in URL_RULES:
        if rule.endpoint not in ROUTES:
            continue
        for method, allowed in zip(("GET", "POST"), ROUTES[rule.endpoint]):
            if allowed is not None and method in rule.methods:
                yield pytest.param(rule.rule, rule.endpoint, method, set(allowed.split()), id=f"{method} {rule.rule}")


@pytest.mark.parametrize("path, endpoint, method, allowed", list(_manager_cases()))
def test_each_route_for_the_manager_of_another_team_and_of_b_team(app, photo_file, path, endpoint, method, allowed):
    shop = _teams(app, build_shop(app))
    url = url_for_shop(endpoint, path, shop)
    response = sign_in(app.test_client(), shop["manager_x"]).open(url, method=method)
    response.get_data()
    status = response.status_code
    assert status < 500, f"manager X {method} {url}: {status}"
    if "seller_a" in allowed:
        assert status not in (403, 404), f"manager X should be able to {method} {url} like seller A: {status}"
    else:
        assert status in (403, 404), f"manager X must not {method} {url} ({endpoint}) but got {status}"
    if method == "GET" and "seller_b" in allowed and "owner" in allowed and not endpoint.startswith(AUTHORS_ONLY):
        response = sign_in(app.test_client(), shop["manager_y"]).get(url)
        response.get_data()
        assert response.status_code not in (403, 404) and response.status_code < 500, (
            f"manager Y should open {url} of B's, as B does: {response.status_code}")


def test_manager_reassigns_a_lead_inside_the_team_only_and_sets_the_team_goals(app, shop):
    my = sign_in(app.test_client(), shop["manager_y"])
    form = my.get(f"/leads/{shop['lead']}/edit").get_data(as_text=True)
    assert "seller_b person" in form and "Manager Y" in form and "seller_a person" not in form
    goals = my.get("/manage/goals").get_data(as_text=True)
    assert "seller_b person" in goals and "seller_a person" not in goals
    saved = my.post("/manage/goals", data={"seller_id": str(shop["seller_b"]), "period": "2026-11",
                                           "revenue": "9000"})
    assert saved.status_code in (303, 422)
    refused = my.post("/manage/goals", data={"seller_id": str(shop["seller_a"]), "period": "2026-11",
                                             "revenue": "1"})
    assert refused.status_code in (403, 422)
    assert sign_in(app.test_client(), shop["seller_b"]).post(
        "/manage/goals", data={"seller_id": str(shop["seller_b"]), "revenue": "1"}).status_code == 403
    assert my.get(f"/manage/performance?seller={shop['seller_b']}").status_code == 200
    assert my.get(f"/manage/performance?seller={shop['seller_a']}").status_code == 403


# --- The structure from the public sample ------------------------------------------------------------------------

SAMPLE_TEAMS = "sales_teams.csv"


def _raw_by(key_of, year):
    """Won, lost and won value per manager or office, straight from the raw CSVs (deals with an account only, as
    the deal import brings in)."""
    from tests.test_history_import import SAMPLE, raw_deals, us_date

    with open(SAMPLE / SAMPLE_TEAMS, newline="", encoding="utf-8") as handle:
        agents = {row["sales_agent"]: row for row in csv.DictReader(handle)}
    figures = defaultdict(lambda: {"won": 0, "lost": 0, "value": Decimal("0")})
    for row in raw_deals():
        if not row["account"] or row["deal_stage"] not in ("Won", "Lost"):
            continue
        if us_date(row["close_date"]).year != year:
            continue
        bucket = figures[key_of(agents[row["sales_agent"]])]
        bucket["won" if row["deal_stage"] == "Won" else "lost"] += 1
        if row["deal_stage"] == "Won":
            bucket["value"] += Decimal(row["close_value"])
    return figures


def test_the_public_sample_sellers_come_in_with_their_managers_and_offices_and_the_figures_follow(
        as_owner, app, owner):
    from sales.management.structure import by_structure
    from tests.test_history_import import SAMPLE, YEAR_2017, import_pipeline, post_file

    assert "7 new products" in text_of(post_file(as_owner, "/catalog/import", SAMPLE / "products.csv"))
    import_pipeline(as_owner, app)
    asked = post_file(as_owner, "/users/import", SAMPLE / SAMPLE_TEAMS)
    with open(SAMPLE / SAMPLE_TEAMS, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    managers = sorted({row["manager"] for row in rows})
    offices = sorted({row["regional_office"] for row in rows})
    page = text_of(asked)
    assert (f"creates {len(managers)} teams, {len(offices)} branches and {len(managers)} managers" in page)
    with app.app_context():
        assert db.session.scalar(select(Team.id)) is None   # nothing before the owner says yes
    content = re.search(r'name="content" value="([^"]*)"', asked.get_data(as_text=True), re.S).group(1)
    from html import unescape

    done = as_owner.post("/users/import", data={"action": "confirm", "content": unescape(content)})
    assert done.status_code == 200 and f"{len(rows)} people put in their teams" in text_of(done)
    with app.app_context():
        for row in rows:
            person = db.session.scalar(select(User).where(User.name == row["sales_agent"]))
            manager = db.session.scalar(select(User).where(User.name == row["manager"]))
            assert person.team is not None and person.team is manager.team and manager.manages_team
            assert person.team.branch.name == row["regional_office"]
        levels, total = by_structure(YEAR_2017, db.session.get(User, owner.id))
    for level, key in (("manager", "manager"), ("branch", "regional_office")):
        want = _raw_by(lambda agent: agent[key], 2017)
        got = {group.label: group.numbers for group in levels[level] if group.label is not None}
        assert set(got) == set(want), level
        for name, expected in want.items():
            numbers = got[name]
            assert (numbers.won, numbers.lost, numbers.revenue) == (
                expected["won"], expected["lost"], expected["value"]), (level, name)
            assert numbers.win_rate == pytest.approx(expected["won"] / (expected["won"] + expected["lost"]))
    # The page's CSV per office holds the same figures, and its total is the whole shop's.
    table = as_owner.get("/manage/structure?period=2017&csv=per-branch").get_data(as_text=True)
    lines = {line[0]: line for line in csv.reader(io.StringIO(table.lstrip("\ufeff")))}
    for office, expected in _raw_by(lambda agent: agent["regional_office"], 2017).items():
        assert (int(lines[office][3]), int(lines[office][4]), Decimal(lines[office][6])) == (
            expected["won"], expected["lost"], expected["value"])
    assert int(lines["Total"][3]) == total.won


def test_a_manager_reads_the_structure_report_of_their_team_only(app, shop):
    page = text_of(sign_in(app.test_client(), shop["manager_y"]).get("/manage/structure"))
    assert "Team Y" in page and "Team X" not in page and "seller_a person" not in page


# --- Branch rules route web-form leads ----------------------------------------------------------------------------


def test_web_form_leads_go_to_the_branch_of_their_postal_code_and_round_robin_or_its_default_seller(
        client, app, owner, make_user):
    madrid_1, madrid_2, toledo = make_user("seller", name="Marta"), make_user("seller", name="Mario"), \
        make_user("seller", name="Tomás")
    with app.app_context():
        madrid = Branch(name="Madrid", assignment="round_robin")
        toledo_branch = Branch(name="Toledo", assignment="default", default_seller_id=toledo.id)
        db.session.add_all([madrid, toledo_branch])
        db.session.flush()
        team = Team(name="Madrid centro", branch_id=madrid.id)
        db.session.add(team)
        db.session.flush()
        for person in (madrid_1, madrid_2):
            db.session.get(User, person.id).team_id = team.id
        db.session.add_all([BranchRule(branch_id=madrid.id, field="postal_code", value="28"),
                            BranchRule(branch_id=toledo_branch.id, field="postal_code", value="45")])
        db.session.commit()
        madrid_id, toledo_id = madrid.id, toledo_branch.id
    for n, code in enumerate(("28013", "28 004", "28080", "45001")):
        response = post_web_form(client, name=f"Visitor {n}", email=f"v{n}@example.com", postal_code=code,
                                 interest="City bike")
        assert response.status_code == 303
    with app.app_context():
        leads = db.session.scalars(select(Lead).order_by(Lead.id)).all()
        assert [lead.branch_id for lead in leads] == [madrid_id, madrid_id, madrid_id, toledo_id]
        assert [lead.seller_id for lead in leads] == [madrid_1.id, madrid_2.id, madrid_1.id, toledo.id]
        assert all(lead.customer.branch_id == lead.branch_id and lead.customer.owner_id == lead.seller_id
                   for lead in leads)
    # A postal code no rule names: no branch, nobody's yet (the owner hands it out).
    post_web_form(client, name="Visitor far", email="far@example.com", postal_code="08001", interest="Helmet")
    with app.app_context():
        far = db.session.scalar(select(Lead).order_by(Lead.id.desc()))
        assert far.branch_id is None and far.seller_id is None


def test_a_routed_web_form_lead_is_at_the_top_of_its_seller_s_day_until_someone_contacts_them(
        client, app, owner, make_user):
    seller = make_user("seller", name="Tomás")
    with app.app_context():
        branch = Branch(name="Toledo", assignment="default", default_seller_id=seller.id)
        db.session.add(branch)
        db.session.flush()
        db.session.add(BranchRule(branch_id=branch.id, field="postal_code", value="45"))
        db.session.commit()
    post_web_form(client, name="Lucía Prieto", email="lucia@example.com", postal_code="45001",
                  interest="Cargo bike for the bakery")
    with app.app_context():
        lead = db.session.scalar(select(Lead))
        lead_id, customer_id = lead.id, lead.customer_id
    as_seller = sign_in(app.test_client(), seller.id)
    page = as_seller.get("/leads/my-day")
    day = page.get_data(as_text=True)
    new_leads = day[day.index('id="new-leads"'):day.index("</section>", day.index('id="new-leads"'))]
    assert "1 new lead from the web form to contact" in text_of(page) and "Lucía Prieto" in new_leads
    assert day.index('id="new-leads"') < (day.index('id="steps-today"') if 'id="steps-today"' in day else len(day))
    assert "1 thing due today or late" in text_of(as_seller.get("/"))    # the dashboard counts it the same way
    logged = as_seller.post(f"/leads/contacts/new/{customer_id}",
                            data={"channel": "call", "happened_at": "2026-11-20T10:30", "lead_id": str(lead_id),
                                  "goal": "Find out the size of the bakery's deliveries"})
    assert logged.status_code == 303
    assert 'id="new-leads"' not in as_seller.get("/leads/my-day").get_data(as_text=True)


# --- The owner builds the structure ---------------------------------------------------------------------------------


def test_the_owner_creates_branches_teams_and_rules_and_puts_people_in_a_team(as_owner, app, make_user):
    seller = make_user("seller", name="Sara Seller")
    page = as_owner.post("/users/teams", data={"action": "branch", "branch-name": "Toledo",
                                               "branch-assignment": "default", "branch-default_seller_id": str(seller.id)})
    assert page.status_code == 303
    again = as_owner.post("/users/teams", data={"action": "branch", "branch-name": "toledo",
                                                "branch-assignment": "default", "branch-default_seller_id": "0"})
    assert again.status_code == 422 and "There is already a branch with this name." in text_of(again)
    with app.app_context():
        branch_id = db.session.scalar(select(Branch.id))
    assert as_owner.post("/users/teams", data={"action": "team", "team-name": "Toledo tienda",
                                               "team-branch_id": str(branch_id)}).status_code == 303
    assert as_owner.post("/users/teams", data={"action": "rule", "rule-field": "city", "rule-value": "Toledo",
                                               "rule-branch_id": str(branch_id)}).status_code == 303
    blank = as_owner.post("/users/teams", data={"action": "team", "team-name": "", "team-branch_id": "0"})
    assert blank.status_code == 422
    page = text_of(as_owner.get("/users/teams"))
    assert "Toledo tienda" in page and "City is “Toledo”" in page and "Sara Seller" in page
    with app.app_context():
        team_id = db.session.scalar(select(Team.id))
        version = db.session.get(User, seller.id).version
    saved = as_owner.post(f"/users/{seller.id}", data={"name": "Sara Seller", "email": seller.email, "role": "seller",
                                                       "language": "", "active": "y", "team_id": str(team_id),
                                                       "manages_team": "y", "version": str(version)})
    assert saved.status_code == 303
    with app.app_context():
        person = db.session.get(User, seller.id)
        assert person.team_id == team_id and person.is_manager
    assert "Toledo tienda (manager)" in text_of(as_owner.get("/users/"))


def test_a_managers_dashboard_shows_their_team(app, shop):
    page = text_of(sign_in(app.test_client(), shop["manager_y"]).get("/"))
    # B's goal of this month (tests/record_shop.py) and B's open lead in the pipeline.
    assert "seller_b person" in page and "seller_a person" not in page
    with app.app_context():
        from sales.management.dashboard import pipeline
        from sales.management.periods import period_of
        from sales.clock import shop_today

        stages = pipeline(db.session.get(User, shop["manager_y"]), period_of("month", shop_today()))
        assert sum(row["count"] for row in stages if row["stage"].kind == "open") == 1
        stages = pipeline(db.session.get(User, shop["manager_x"]), period_of("month", shop_today()))
        assert sum(row["count"] for row in stages if row["stage"].kind == "open") == 0


def test_the_owner_may_let_managers_see_other_teams_and_they_still_change_only_their_own(app, shop, as_owner):
    """Issue 21: a manager "sees nothing of other teams unless the owner allows it". Allowed (Leads → Settings),
    manager X reads team Y's lead, quote, contact and numbers — and still may not change any of them."""
    mx = sign_in(app.test_client(), shop["manager_x"])
    lead, quote = shop["lead"], shop["quote"]
    assert mx.get(f"/leads/{lead}").status_code == 404
    assert mx.get(f"/manage/performance?seller={shop['seller_b']}").status_code == 403

    page = as_owner.get("/leads/settings")
    assert "Team managers can see other teams" in text_of(page)
    assert as_owner.post("/leads/settings/visibility", data={"managers_see_all": "y"}).status_code == 303
    assert "checked" in re.search(r'<input[^>]*name="managers_see_all"[^>]*>',
                                  as_owner.get("/leads/settings").get_data(as_text=True)).group(0)

    assert mx.get(f"/leads/{lead}").status_code == 200
    assert mx.get(f"/quotes/{quote}").status_code == 200
    assert mx.get(f"/manage/performance?seller={shop['seller_b']}").status_code == 200
    assert "seller_b person" in text_of(mx.get("/leads/?outcome=all"))
    # Reading is all it opens: B's lead cannot be edited, moved or reassigned by X.
    assert mx.get(f"/leads/{lead}/edit").status_code in (403, 404)
    with app.test_request_context():
        people = {key: db.session.get(User, shop[key]) for key in ("manager_x", "seller_a", "seller_b")}
        for model in records.RULES:
            if model in records.CHANGEABLE:
                changeable_x = set(db.session.scalars(select(model.id).where(
                    records.changeable(model, people["manager_x"]))))
                changeable_a = set(db.session.scalars(select(model.id).where(
                    records.changeable(model, people["seller_a"]))))
                assert changeable_x == changeable_a, model.__name__
            if model in (records.Figures, records.PortalLink):
                continue
            for record in db.session.scalars(select(model)):
                if not records.may_change(people["seller_a"], record):
                    assert not records.may_change(people["manager_x"], record), model.__name__
        # A plain seller gains nothing from it.
        assert not records.may_view(people["seller_a"], db.session.get(Lead, lead))
    assert sign_in(app.test_client(), shop["seller_a"]).get(f"/leads/{lead}").status_code == 404


def test_a_manager_gets_the_move_buttons_on_the_team_s_cards_of_the_board(app, shop):
    """The board asks records.py which cards the reader may move: manager Y moves B's lead from the board, manager X
    sees no move button on it (and a seller sees them on their own cards only)."""
    card = f'id="lead-{shop["lead"]}"'

    def buttons_on_card(role):
        html = sign_in(app.test_client(), shop[role]).get("/leads/board").get_data(as_text=True)
        if card not in html:
            return None
        article = html[html.index(card):html.index("</article>", html.index(card))]
        return "Move…" in article

    assert buttons_on_card("manager_y") is True
    assert buttons_on_card("seller_b") is True
    assert buttons_on_card("manager_x") in (None, False)
    assert buttons_on_card("owner") is True
