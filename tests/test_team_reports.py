"""Goals, funnel, commissions and wins per product per branch and team (issue 21, item 3): the pages read with
?scope=team-… / branch-… / no-team keep the figures of the people in it, through the same figure functions as the
whole shop — so the teams and "no team" add up to the shop, each team is its sellers added up, and a team's
manager reads their own team by default and no other."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import (Branch, CommissionRule, Customer, Goal, Lead, LeadProduct, Order, OrderLine, Product, Team,
                    User)
from sales.clock import shop_today, utcnow
from tests.record_shop import sign_in

# (seller key, products per won deal, won deals, lost deals, won amount each, sold on orders)
DEALS = [("a", ("P1",), 3, 1, "100.00", "400.00"), ("mx", ("P1", "P2"), 2, 2, "250.00", "150.00"),
         ("b", ("P2",), 4, 0, "80.00", "900.00"), ("c", ("P1",), 1, 3, "500.00", "60.00"),
         (None, ("P2",), 2, 1, "40.00", None)]
TEAM_OF = {"a": "x", "mx": "x", "b": "y", "c": None, None: None}


@pytest.fixture
def sales_force(app):
    """Branch North ⊃ team X (seller A, manager MX); branch South ⊃ team Y (seller B); C in no team; deals of
    each of them and some with no seller, all closed this month, and orders for the commissions."""
    from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage

    with app.test_request_context():
        stages = {s.shown_name: s for s in ensure_default_stages()}
        kinds = {s.kind: s for s in stages.values() if s.kind != "open"}
        north, south = Branch(name="North"), Branch(name="South")
        db.session.add_all([north, south])
        db.session.flush()
        x, y = Team(name="Team X", branch_id=north.id), Team(name="Team Y", branch_id=south.id)
        db.session.add_all([x, y])
        db.session.flush()
        owner = User(name="Olga Owner", email="o@shop.example", role="owner")
        people = {"a": User(name="Ana A", email="a@shop.example", team_id=x.id),
                  "mx": User(name="Mario MX", email="mx@shop.example", team_id=x.id, manages_team=True),
                  "b": User(name="Bea B", email="b@shop.example", team_id=y.id),
                  "c": User(name="Carla C", email="c@shop.example")}
        db.session.add_all([owner, *people.values()])
        products = {"P1": Product(code="P1", name="Cargo bike", unit_price=Decimal("1000"), category="Bikes"),
                    "P2": Product(code="P2", name="Helmet", unit_price=Decimal("50"), category="Gear")}
        customer = Customer(name="Bea Customer")
        db.session.add_all([customer, *products.values()])
        db.session.flush()
        db.session.add(CommissionRule(seller_id=None, percent=Decimal("5")))
        today = shop_today()
        for key, names, won, lost, amount, sold in DEALS:
            seller_id = people[key].id if key else None
            for n in range(won + lost):
                lead = Lead(customer_id=customer.id, title=f"{key} deal {n}", seller_id=seller_id,
                            estimated_value=Decimal(amount))
                db.session.add(lead)
                start_in_stage(lead, stages["New"], when=utcnow() - timedelta(hours=3))
                move_to_stage(lead, stages["Proposal"] if "Proposal" in stages else stages["Contacted"],
                              when=utcnow() - timedelta(hours=2))
                if n < won:
                    lead.won_amount = Decimal(amount)
                move_to_stage(lead, kinds["won"] if n < won else kinds["lost"], when=utcnow() - timedelta(hours=1))
                db.session.flush()
                for name in names:
                    db.session.add(LeadProduct(lead_id=lead.id, product_id=products[name].id))
            if sold:
                order = Order(number=f"O-{key}", customer_id=customer.id, seller_id=seller_id, ordered_on=today,
                              total=Decimal(sold))
                order.lines.append(OrderLine(position=1, product_id=products["P1"].id, description="Bike",
                                             quantity=Decimal(1), unit_price=Decimal(sold), line_total=Decimal(sold)))
                db.session.add(order)
            if key:
                db.session.add(Goal(seller_id=seller_id, period=today.strftime("%Y-%m"), metric="revenue",
                                    target=Decimal("1000")))
        db.session.commit()
        ids = {key: person.id for key, person in people.items()}
        ids.update(owner=owner.id, x=x.id, y=y.id, north=north.id, south=south.id)
        return ids


def _csv(client, path, table, **args):
    query = "&".join(f"{k}={v}" for k, v in {**args, "csv": table}.items())
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200, (path, args, response.status_code)
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _total(rows, label_start):
    row = next(r for r in rows if r[0].startswith(label_start))
    return row


SCOPES = ("team-{x}", "team-{y}", "no-team")


def _scopes(ids):
    return [scope.format(**ids) for scope in SCOPES]


def _in(ids, team):
    """The sellers (keys) of one team (None: no team, with the deals of nobody)."""
    return [key for key, belongs in TEAM_OF.items() if belongs == team]


def test_wins_per_product_of_the_teams_add_up_to_the_shop_and_each_team_is_its_sellers(app, sales_force):
    owner = sign_in(app.test_client(), sales_force["owner"])
    shop = _total(_csv(owner, "/manage/products", "per-product"), "Every deal")
    per_scope = {scope: _total(_csv(owner, "/manage/products", "per-product", scope=scope), "Every deal")
                 for scope in _scopes(sales_force)}
    assert sum(int(row[1]) for row in per_scope.values()) == int(shop[1])
    assert sum(int(row[2]) for row in per_scope.values()) == int(shop[2])
    assert sum(Decimal(row[4]) for row in per_scope.values()) == Decimal(shop[4])
    # Each team's figures are the raw deals of its sellers, counted here from DEALS.
    for team, scope in (("x", f"team-{sales_force['x']}"), ("y", f"team-{sales_force['y']}"), (None, "no-team")):
        deals = [d for d in DEALS if TEAM_OF[d[0]] == team]
        assert int(per_scope[scope][1]) == sum(d[2] for d in deals)
        assert int(per_scope[scope][2]) == sum(d[3] for d in deals)
        assert Decimal(per_scope[scope][4]) == sum(Decimal(d[4]) * d[2] for d in deals)
    # …and the seller's own page agrees with the team's.
    by_seller = [_total(_csv(owner, "/manage/products", "per-product", seller=sales_force[key]), "Every deal")
                 for key in ("a", "mx")]
    assert sum(int(row[1]) for row in by_seller) == int(per_scope[f"team-{sales_force['x']}"][1])
    # A branch is its teams.
    north = _total(_csv(owner, "/manage/products", "per-product", scope=f"branch-{sales_force['north']}"),
                   "Every deal")
    assert north == per_scope[f"team-{sales_force['x']}"]


def test_the_funnel_of_the_teams_adds_up_to_the_shops_stage_by_stage(app, sales_force):
    owner = sign_in(app.test_client(), sales_force["owner"])
    shop = {row[0]: row for row in _csv(owner, "/manage/funnel", "funnel")[1:]}
    scoped = [{row[0]: row for row in _csv(owner, "/manage/funnel", "funnel", scope=scope)[1:]}
              for scope in _scopes(sales_force)]
    assert shop
    for stage, row in shop.items():
        for column in (1, 2, 3, 4):    # reached, left, moved on, lost here
            assert sum(int(part[stage][column]) for part in scoped if stage in part) == int(row[column]), stage
    team_x = scoped[0]
    assert int(team_x["New"][1]) == sum(d[2] + d[3] for d in DEALS if TEAM_OF[d[0]] == "x")


def test_commissions_and_goals_of_a_team_are_its_sellers_and_the_teams_add_up_to_the_shop(app, sales_force):
    owner = sign_in(app.test_client(), sales_force["owner"])

    def commission_total(**args):
        rows = _csv(owner, "/manage/commissions", "commissions", **args)
        totals = [r for r in rows[1:] if r[0].endswith(": total")]
        return sum((Decimal(r[7]) for r in totals), Decimal(0)), sum((Decimal(r[3]) for r in totals), Decimal(0))

    shop = commission_total()
    parts = [commission_total(scope=scope) for scope in _scopes(sales_force)]
    assert sum(p[0] for p in parts) == shop[0] and sum(p[1] for p in parts) == shop[1]
    sold_x = sum(Decimal(d[5]) for d in DEALS if TEAM_OF[d[0]] == "x" and d[5])
    assert parts[0] == ((sold_x * 5 / 100).quantize(Decimal("0.01")), sold_x)

    goals = _csv(owner, "/manage/goals", "goals", scope=f"team-{sales_force['x']}")
    team_row = next(r for r in goals if r[0] == "Team: Team X")
    won_x = sum(Decimal(d[4]) * d[2] for d in DEALS if TEAM_OF[d[0]] == "x")
    assert Decimal(team_row[2]) == Decimal("2000") and Decimal(team_row[3]) == won_x
    assert {r[0] for r in goals[1:]} == {"Ana A", "Mario MX", "Team: Team X"}


def test_a_manager_reads_their_own_team_by_default_and_no_other_scope(app, sales_force):
    manager = sign_in(app.test_client(), sales_force["mx"])
    owner = sign_in(app.test_client(), sales_force["owner"])
    team_x = f"team-{sales_force['x']}"
    for path, table in (("/manage/products", "per-product"), ("/manage/funnel", "funnel"),
                        ("/manage/commissions", "commissions"), ("/manage/goals", "goals")):
        assert _csv(manager, path, table) == _csv(owner, path, table, scope=team_x), path
        page = manager.get(path)
        assert page.status_code == 200 and "Team X" in page.get_data(as_text=True) and "Bea B" not in page.get_data(
            as_text=True), path
        for other in (f"team-{sales_force['y']}", "no-team", f"branch-{sales_force['north']}", "team-999", "bogus"):
            assert manager.get(f"{path}?scope={other}").status_code == 404, (path, other)
        # A seller who manages nobody has no scope to pick: their own numbers only.
        seller = sign_in(app.test_client(), sales_force["a"])
        assert seller.get(f"{path}?scope={team_x}").status_code == 404
    page = manager.get("/manage/goals").get_data(as_text=True)
    assert 'name="scope"' in page and "Ana A" in page


def test_the_owner_picks_a_branch_or_team_in_the_period_bar_and_steps_keep_it(app, sales_force):
    owner = sign_in(app.test_client(), sales_force["owner"])
    html = owner.get(f"/manage/products?scope=team-{sales_force['y']}").get_data(as_text=True)
    assert "Branch: North" in html and "Team: Team Y" in html and "No team" in html
    assert f'value="team-{sales_force["y"]}" selected' in html
    assert f"scope=team-{sales_force['y']}" in html.split('aria-label="Previous period"')[0].rsplit("href=", 1)[1]
    fragment = owner.get(f"/manage/funnel?scope=no-team", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
