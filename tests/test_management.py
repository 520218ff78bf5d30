"""Management: periods, seller performance, goals and funnel fractures against a hand-computed shop.

The shop (all in March 2026 unless said otherwise; stages New → Contacted → Qualified → Proposal →
Negotiation → Won / Lost):
- Ana:  L1 created 1 Mar: New, Contacted 3 Mar, Qualified 5 Mar, Won 11 Mar for 1 000 (cycle 10 days).
        L2 created 2 Mar: New, Contacted 6 Mar, Lost 10 Mar.
        L5 created 2 Apr: New (April only).
        3 contacts in March plus a closing note (not a contact); surveys answered in March: gaps −1 and +2.
- Ben:  L3 created 1 Mar: New, Contacted 2 Mar, Won 21 Mar with no amount but an estimate of 500 (20 days).
        L4 created 15 Feb: New, Won 5 Mar for 400 (18 days).
        1 contact in March, 1 in February.
- Cero: a seller with no data at all.
"""
from datetime import date, datetime
from decimal import Decimal

import pytest

from extensions import db
from models import ContactLog, Customer, Goal, Lead, Survey, User
from tests.conftest import login, text_of
from sales.clock import shop_today

MARCH = "2026-03"


def at(day, hour=9):
    month, d = day
    return datetime(2026, month, d, hour, 0)


@pytest.fixture
def shop(app, make_user):
    ana = make_user("seller", name="Ana Alba")
    ben = make_user("seller", name="Ben Brea")
    cero = make_user("seller", name="Cero Cruz")
    with app.test_request_context():
        from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage

        stages = {s.shown_name: s for s in ensure_default_stages()}
        customer = Customer(name="Clienta Uno")
        db.session.add(customer)
        db.session.flush()

        def lead(seller, created, moves, value=None, won_amount=None):
            item = Lead(customer_id=customer.id, title="Bici", seller_id=seller.id, created_at=at(created),
                        estimated_value=Decimal(value) if value else None)
            db.session.add(item)
            start_in_stage(item, stages["New"], when=at(created))
            for name, when in moves:
                move_to_stage(item, stages[name], when=at(when))
            item.won_amount = Decimal(won_amount) if won_amount else None
            db.session.flush()
            return item

        lead(ana, (3, 1), [("Contacted", (3, 3)), ("Qualified", (3, 5)), ("Won", (3, 11))], won_amount="1000")
        lead(ana, (3, 2), [("Contacted", (3, 6)), ("Lost", (3, 10))])
        lead(ben, (3, 1), [("Contacted", (3, 2)), ("Won", (3, 21))], value="500")
        lead(ben, (2, 15), [("Won", (3, 5))], value="300", won_amount="400")
        lead(ana, (4, 2), [])
        for day in ((3, 4), (3, 8), (3, 30)):
            db.session.add(ContactLog(customer_id=customer.id, user_id=ana.id, channel="call", happened_at=at(day)))
        db.session.add(ContactLog(customer_id=customer.id, user_id=ana.id, channel="note", happened_at=at((3, 11))))
        db.session.add(ContactLog(customer_id=customer.id, user_id=ben.id, channel="visit", happened_at=at((3, 9))))
        db.session.add(ContactLog(customer_id=customer.id, user_id=ben.id, channel="visit", happened_at=at((2, 9))))
        for expectation, experience, day in ((4, 3, (3, 15)), (3, 5, (3, 20))):
            db.session.add(Survey(customer_id=customer.id, seller_id=ana.id, expectation=expectation,
                                  experience=experience, csat=4, nps=8, answered_at=at(day)))
        db.session.add(Survey(customer_id=customer.id, seller_id=ana.id))   # sent, never answered
        db.session.commit()
    return {"ana": ana, "ben": ben, "cero": cero}


def period(key):
    from sales.management.periods import parse

    return parse(key)


# --- Periods ---------------------------------------------------------------------------------------------------


def test_periods_are_half_open_months_quarters_and_years(app):
    with app.test_request_context():
        q4 = period("2026-Q4")
        assert (q4.start, q4.end, q4.key) == (date(2026, 10, 1), date(2027, 1, 1), "2026-Q4")
        assert period("2026-12").next.key == "2027-01"
        assert period("2026-01").previous.key == "2025-12"
        assert period("2026-Q1").previous.key == "2025-Q4"
        assert period("2026").end == date(2027, 1, 1)
        assert period("2026-13") is None and period("Q4") is None and period("") is None
        march = period(MARCH)
        assert march.elapsed_share(date(2026, 2, 1)) == 0
        assert march.elapsed_share(date(2026, 3, 31)) == 1
        assert march.elapsed_share(date(2026, 4, 5)) == 1
        assert abs(march.elapsed_share(date(2026, 3, 1)) - 1 / 31) < 1e-9


# --- Seller performance ------------------------------------------------------------------------------------------


def test_performance_of_each_seller_matches_the_hand_count(app, shop):
    from sales.management.metrics import performance

    with app.test_request_context():
        rows = performance(period(MARCH), [shop["ana"].id, shop["ben"].id, shop["cero"].id])
    ana, ben, cero = rows[shop["ana"].id], rows[shop["ben"].id], rows[shop["cero"].id]
    assert (ana.new_leads, ana.contacts, ana.won, ana.lost) == (2, 3, 1, 1)
    assert ana.win_rate == 0.5
    assert ana.revenue == Decimal("1000.00") and ana.average_deal == Decimal("1000.00")
    assert ana.cycle_days == 10.0
    assert (ana.gap, ana.gap_answers) == (0.5, 2)
    assert (ben.new_leads, ben.contacts, ben.won, ben.lost) == (1, 1, 2, 0)
    assert ben.win_rate == 1.0
    # L3 had no amount recorded: its estimate counts. L4 was created in February but won in March.
    assert ben.revenue == Decimal("900.00") and ben.average_deal == Decimal("450.00")
    assert ben.cycle_days == 19.0
    assert ben.gap is None and ben.gap_answers == 0
    assert (cero.new_leads, cero.contacts, cero.won, cero.lost, cero.revenue) == (0, 0, 0, 0, 0)
    assert cero.win_rate is None and cero.average_deal is None and cero.cycle_days is None and cero.gap is None


def test_an_empty_period_gives_zeros_not_errors(app, shop):
    from sales.management.metrics import performance, shop_total

    with app.test_request_context():
        rows = performance(period("2026-01"), [shop["ana"].id])
        total = shop_total(period("2026-01"), performance(period("2026-01")))
    assert rows[shop["ana"].id].won == 0 and rows[shop["ana"].id].win_rate is None
    assert (total.won, total.revenue, total.new_leads, total.gap) == (0, 0, 0, None)


def test_shop_total_adds_up_the_sellers(app, shop):
    from sales.management.metrics import performance, shop_total

    with app.test_request_context():
        total = shop_total(period(MARCH), performance(period(MARCH)))
    assert (total.new_leads, total.contacts, total.won, total.lost) == (3, 4, 3, 1)
    assert total.revenue == Decimal("1900.00")
    assert total.cycle_days == round((10 + 20 + 18) / 3, 1)
    assert total.win_rate == 0.75 and total.gap == 0.5


# --- Goals -------------------------------------------------------------------------------------------------------


def test_goal_progress_compares_each_goal_with_the_actual_figure(app, shop):
    from sales.management.metrics import goal_progress, performance, set_goal, shop_goal_progress, shop_total

    with app.test_request_context():
        march = period(MARCH)
        set_goal(shop["ana"].id, march, "revenue", Decimal("2000"))
        set_goal(shop["ana"].id, march, "deals_won", Decimal("4"))
        set_goal(shop["ben"].id, march, "revenue", Decimal("600"))
        set_goal(shop["ben"].id, period("2026-04"), "revenue", Decimal("99"))   # another month: ignored
        db.session.commit()
        people = [db.session.get(User, shop[name].id) for name in ("ana", "ben", "cero")]
        board = goal_progress(march, people)
        shop_goals = shop_goal_progress(board, shop_total(march, performance(march)))
    ana, ben, cero = board
    assert [(g.metric, g.target, g.actual, g.share) for g in ana.goals] == [
        ("revenue", Decimal("2000.00"), Decimal("1000.00"), 0.5), ("deals_won", Decimal("4.00"), Decimal("1"), 0.25)]
    assert ben.goals[0].share == 1.5 and ben.goals[0].bar_percent == 100 and ben.goals[0].reached
    assert cero.goals == []
    # The shop's targets are the sellers' added up; its actuals are the whole shop's (Ben won two deals too).
    assert [(g.metric, g.target, g.actual) for g in shop_goals] == [
        ("revenue", Decimal("2600.00"), Decimal("1900.00")), ("deals_won", Decimal("4.00"), Decimal("3"))]


def test_setting_an_empty_goal_removes_it(app, shop):
    from sales.management.metrics import set_goal

    with app.test_request_context():
        set_goal(shop["ana"].id, period(MARCH), "revenue", Decimal("10"))
        set_goal(shop["ana"].id, period(MARCH), "revenue", Decimal("20"))
        db.session.commit()
        assert db.session.query(Goal).one().target == Decimal("20")
        set_goal(shop["ana"].id, period(MARCH), "revenue", None)
        db.session.commit()
        assert db.session.query(Goal).count() == 0


def test_owner_sets_goals_and_sees_progress(client, owner, shop, fetch):
    login(client, owner)
    response = client.post(f"/manage/goals?period={MARCH}", data={
        "seller_id": shop["ana"].id, "period": MARCH, "revenue": "2000", "deals_won": "2", "new_leads": "",
        "contacts": "10"})
    assert response.status_code == 303
    assert response.location.endswith(f"/manage/goals?period={MARCH}")
    page = text_of(client.get(f"/manage/goals?period={MARCH}"))
    assert "Ana Alba" in page and "Revenue" in page
    assert "€1,000.00 / €2,000.00 · 50%" in page
    assert "Deals won 1 / 2 · 50%" in page
    assert "Contacts made 3 / 10 · 30%" in page
    assert "New leads" not in page.split("Ana Alba")[1].split("Set goals for Ana Alba")[0]


def test_goal_form_keeps_values_and_shows_the_error(client, owner, shop):
    login(client, owner)
    response = client.post(f"/manage/goals?period={MARCH}", data={
        "seller_id": shop["ana"].id, "period": MARCH, "revenue": "-5", "deals_won": "3"})
    assert response.status_code == 422
    page = text_of(response)
    assert "Number must be at least 0" in page
    assert 'value="3"' in response.get_data(as_text=True)


def test_goals_page_is_a_fragment_for_htmx(client, owner, shop):
    login(client, owner)
    response = client.get(f"/manage/goals?period={MARCH}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Set goals" in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_seller_sees_only_their_own_goals_and_cannot_set_them(client, shop):
    from sales.management.metrics import set_goal

    with client.application.test_request_context():
        set_goal(shop["ana"].id, period(MARCH), "revenue", Decimal("2000"))
        set_goal(shop["ben"].id, period(MARCH), "revenue", Decimal("777"))
        db.session.commit()
    login(client, shop["ana"])
    page = text_of(client.get(f"/manage/goals?period={MARCH}"))
    assert "Ana Alba" in page and "€2,000.00" in page
    assert "Ben Brea" not in page and "€777.00" not in page and "Save goals" not in page
    assert client.post(f"/manage/goals?period={MARCH}", data={"seller_id": shop["ana"].id, "period": MARCH,
                                                              "revenue": "1"}).status_code == 403


# --- Performance pages ------------------------------------------------------------------------------------------------


def test_owner_sees_every_seller_and_the_whole_shop(client, owner, shop):
    login(client, owner)
    page = text_of(client.get(f"/manage/performance?period={MARCH}"))
    assert "Ana Alba 2 3 1 1 50% €1,000.00 €1,000.00 10.0 +0.50 2" in page
    assert "Ben Brea 1 1 2 0 100% €900.00 €450.00 19.0 — 0" in page
    assert "Cero Cruz 0 0 0 0 — €0.00 — — — 0" in page
    assert "Whole shop 3 4 3 1 75% €1,900.00" in page


def test_performance_csv(client, owner, shop):
    login(client, owner)
    response = client.get(f"/manage/performance.csv?period={MARCH}")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Seller,New leads,Contacts made,Deals won,Deals lost,Win rate (%),Revenue")
    assert "Ana Alba,2,3,1,1,50,1000.00,1000.00,10.0,0.50,2" in lines
    assert "Cero Cruz,0,0,0,0,,0.00,,,,0" in lines
    assert lines[-1].startswith("Whole shop,3,4,3,1,75,1900.00")


def test_seller_sees_own_performance_and_403_on_another_sellers(client, shop):
    login(client, shop["ana"])
    page = text_of(client.get(f"/manage/performance?period={MARCH}"))
    assert "Ana Alba" in page and "Ben Brea" not in page and "Whole shop" not in page
    for url in (f"/manage/performance?seller={shop['ben'].id}", f"/manage/performance.csv?seller={shop['ben'].id}",
                f"/manage/funnel?seller={shop['ben'].id}", f"/manage/funnel.csv?seller={shop['ben'].id}",
                f"/manage/goals?seller={shop['ben'].id}", f"/manage/goals.csv?seller={shop['ben'].id}"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/manage/performance?seller={shop['ana'].id}").status_code == 200
    assert client.get("/manage/performance?seller=99999").status_code == 404


def test_support_sees_no_management_page(client, support, shop):
    login(client, support)
    for url in ("/manage/goals", "/manage/performance", "/manage/funnel", "/manage/goals.csv",
                "/manage/performance.csv", "/manage/funnel.csv"):
        assert client.get(url).status_code == 403, url


def test_performance_page_runs_a_fixed_number_of_queries(client, owner, shop, make_customer, make_lead,
                                                          count_queries):
    login(client, owner)
    client.get(f"/manage/performance?period={MARCH}")
    with count_queries() as few:
        client.get(f"/manage/performance?period={MARCH}")
    customer = make_customer()
    for n in range(6):
        make_lead(customer, shop["cero"], title=f"Extra {n}", stage="Won", value=10)
    with count_queries() as many:
        client.get(f"/manage/performance?period={MARCH}")
    assert len(many) == len(few)


# --- Funnel fractures ------------------------------------------------------------------------------------------------


def _flows(app, key, seller=None):
    from sales.management.funnel import funnel

    with app.test_request_context():
        return {f.stage.shown_name: f for f in funnel(period(key), seller.id if seller else None)}


def test_funnel_counts_conversion_and_median_days_per_stage(app, shop):
    flows = _flows(app, MARCH)
    assert list(flows) == ["New", "Contacted", "Qualified", "Proposal", "Negotiation"]
    new, contacted, qualified = flows["New"], flows["Contacted"], flows["Qualified"]
    # L4 entered New in February but left it in March: it counts as leaving, not as reaching.
    assert (new.reached, new.left, new.moved_on, new.lost, new.went_back) == (3, 4, 4, 0, 0)
    assert new.median_days == 3.0                        # stays of 1, 2, 4 and 18 days
    assert (contacted.reached, contacted.left, contacted.moved_on, contacted.lost) == (3, 3, 2, 1)
    assert round(contacted.conversion, 3) == 0.667
    assert contacted.median_days == 4.0                  # stays of 2, 4 and 19 days
    assert (qualified.reached, qualified.moved_on, qualified.median_days) == (1, 1, 6.0)
    assert flows["Proposal"].reached == 0 and flows["Proposal"].conversion is None
    # Contacted lets the smallest share of its deals through; Qualified has the longest stays.
    assert [name for name, f in flows.items() if f.is_fracture] == ["Contacted"]
    assert [name for name, f in flows.items() if f.is_stall] == ["Qualified"]


def test_funnel_per_seller(app, shop):
    ana = _flows(app, MARCH, shop["ana"])
    assert (ana["New"].reached, ana["New"].moved_on, ana["New"].median_days) == (2, 2, 3.0)
    assert (ana["Contacted"].left, ana["Contacted"].moved_on, ana["Contacted"].lost) == (2, 1, 1)
    cero = _flows(app, MARCH, shop["cero"])
    assert all(f.reached == 0 and f.left == 0 and not f.is_fracture and not f.is_stall for f in cero.values())


def test_funnel_of_deals_still_deciding_and_of_empty_periods(app, shop):
    april = _flows(app, "2026-04")
    assert (april["New"].reached, april["New"].left, april["New"].conversion, april["New"].median_days) == \
        (1, 0, None, None)
    assert all(f.reached == 0 and f.left == 0 for f in _flows(app, "2026-01").values())


def test_a_move_back_counts_as_going_back(app, shop):
    from sales.leads.stages import ensure_default_stages, move_to_stage

    with app.test_request_context():
        stages = {s.shown_name: s for s in ensure_default_stages()}
        lead = db.session.query(Lead).filter_by(seller_id=shop["ana"].id, closed_at=None).one()   # L5, in New
        move_to_stage(lead, stages["Qualified"], when=at((4, 4)))
        move_to_stage(lead, stages["Contacted"], when=at((4, 7)))
        db.session.commit()
    april = _flows(app, "2026-04")
    assert (april["Qualified"].left, april["Qualified"].went_back, april["Qualified"].median_days) == (1, 1, 3.0)
    assert april["New"].moved_on == 1 and april["New"].median_days == 2.0


@pytest.mark.parametrize("buckets, median", [
    ([], None), ([(4, 1)], 4.0), ([(1, 1), (2, 1), (4, 1), (18, 1)], 3.0), ([(2.5, 3), (9, 1)], 2.5),
    ([(1, 2), (5, 2)], 3.0), ([(7, 0), (None, 3)], None),
])
def test_median_of_histogram(buckets, median):
    from sales.management.funnel import median_of_histogram

    assert median_of_histogram(buckets) == median


def test_conversion_by_seller(app, shop):
    from sales.management.funnel import conversion_by_seller

    with app.test_request_context():
        matrix = conversion_by_seller(period(MARCH))
        names = {s.shown_name: s.id for s in db.session.query(__import__("models").PipelineStage)}
    assert matrix[shop["ana"].id] == {names["New"]: (2, 2), names["Contacted"]: (2, 1), names["Qualified"]: (1, 1)}
    assert matrix[shop["ben"].id] == {names["New"]: (2, 2), names["Contacted"]: (1, 1)}
    assert shop["cero"].id not in matrix


def test_funnel_page_highlights_the_fracture(client, owner, shop):
    login(client, owner)
    page = text_of(client.get(f"/manage/funnel?period={MARCH}"))
    assert "Contacted where most deals drop: 67% move on" in page
    assert "Qualified where deals stall: 6 days (median)" in page
    assert "Contacted 3 3 2 1 0 67% 4.0 drops most" in page
    assert "Ana Alba 100%" not in page and "Compare sellers stage by stage" in page
    compared = text_of(client.get(f"/manage/funnel?period={MARCH}&compare=1"))
    assert "Ana Alba 100% 2 50% 2 100% 1" in compared
    assert "Ben Brea 100% 2 100% 1 — 0 — 0 — 0" in compared
    fragment = client.get(f"/manage/funnel?period={MARCH}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "<svg" in fragment.get_data(as_text=True)
    csv = client.get(f"/manage/funnel.csv?period={MARCH}").get_data(as_text=True)
    assert "Contacted,3,3,2,1,0,67,4.0,drops most" in csv


def test_funnel_page_for_an_empty_period(client, owner, shop):
    login(client, owner)
    assert "No deal reached any stage in this period." in text_of(client.get("/manage/funnel?period=2026-01"))


# --- Dashboard -------------------------------------------------------------------------------------------------------


def test_owner_dashboard_shows_the_shop(client, owner, shop, make_customer, make_lead):
    customer = make_customer(name="Bea Pipeline")
    make_lead(customer, shop["ana"], title="Cargo", stage="Proposal", value=2500)
    make_lead(customer, shop["ben"], title="Kids", stage="Proposal", value=300)
    login(client, owner)
    response = client.get("/")
    page = text_of(response)
    assert "Pipeline value by stage" in page
    assert "Proposal 2 €2,800.00" in page
    assert "Overdue tickets" in page and "Today's follow-ups" in page and "Latest satisfaction" in page
    assert "<svg" in response.get_data(as_text=True)
    assert "<html" not in client.get("/", headers={"HX-Request": "true"}).get_data(as_text=True)


def test_seller_dashboard_shows_only_their_own(client, shop, make_customer, make_lead):
    customer = make_customer(name="Bea Pipeline")
    make_lead(customer, shop["ana"], title="Cargo", stage="Proposal", value=2500)
    make_lead(customer, shop["ben"], title="Kids", stage="Proposal", value=300)
    login(client, shop["ben"])
    page = text_of(client.get("/"))
    assert "Your pipeline by stage" in page
    assert "Proposal 1 €300.00" in page and "€2,500.00" not in page
    assert "Ana Alba" not in page


def test_support_dashboard_has_tickets_and_follow_ups_but_no_sales(client, support, shop):
    login(client, support)
    page = text_of(client.get("/"))
    assert "Overdue tickets" in page and "Today's follow-ups" in page
    assert "Pipeline" not in page and "Goals" not in page


def test_home_still_leads_a_new_install_to_setup(client):
    assert client.get("/").location.endswith("/setup")


# --- Every page × every role ----------------------------------------------------------------------------------------

MANAGEMENT_PAGES = ["/manage/goals", "/manage/goals.csv", "/manage/performance", "/manage/performance.csv",
                    "/manage/funnel", "/manage/funnel.csv", "/manage/commissions", "/manage/commissions.csv",
                    "/manage/segments", "/manage/segments/count", "/manage/segments.csv", "/manage/loyalty",
                    "/manage/loyalty/due.csv", "/manage/loyalty/lapsed.csv", "/manage/loyalty/best.csv",
                    "/manage/loyalty/cross_sell.csv"]


@pytest.mark.parametrize("role, expected", [("owner", 200), ("seller", 200), ("support", 403)])
@pytest.mark.parametrize("url", MANAGEMENT_PAGES)
def test_management_pages_by_role(client, make_user, role, expected, url):
    login(client, make_user(role))
    assert client.get(url).status_code == expected


@pytest.mark.parametrize("url", ["/manage/goals", "/manage/performance", "/manage/funnel", "/manage/commissions",
                                 "/manage/segments", "/manage/loyalty", "/"])
def test_pages_as_htmx_fragments(client, owner, shop, url):
    login(client, owner)
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    assert "Dashboard" in text_of(response)   # the management tabs come with the fragment


def test_unknown_period_falls_back_to_this_month(client, owner, shop):
    from datetime import date

    login(client, owner)
    page = text_of(client.get("/manage/performance?period=nonsense"))
    assert f"Seller performance · {shop_today():%B %Y}" in page


def test_dashboard_runs_a_fixed_number_of_queries(client, owner, shop, make_customer, make_lead, count_queries):
    login(client, owner)
    client.get("/")
    with count_queries() as few:
        client.get("/")
    customer = make_customer()
    for n in range(5):
        make_lead(customer, shop["ana"], title=f"Extra {n}", stage="Proposal", value=100)
    with count_queries() as many:
        client.get("/")
    assert len(many) == len(few)


def test_migration_backfills_the_stays_of_earlier_moves(app, shop):
    import importlib.util
    from pathlib import Path

    from sqlalchemy import text

    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0009_management.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        before = db.session.execute(text("SELECT id, from_stage_entered_at FROM stage_changes ORDER BY id")).all()
        db.session.execute(text("UPDATE stage_changes SET from_stage_entered_at = NULL"))
        db.session.execute(text(migration.BACKFILL_STAYS))
        after = db.session.execute(text("SELECT id, from_stage_entered_at FROM stage_changes ORDER BY id")).all()
        db.session.commit()
    assert [str(value)[:19] if value else None for _id, value in after] == \
        [str(value)[:19] if value else None for _id, value in before]
    assert any(value for _id, value in after)


def test_the_owner_is_listed_with_the_sellers_only_when_they_sell(client, owner, shop, make_customer, make_lead):
    login(client, owner)
    row = 'data-label="Seller">Olga Owner</th>'
    assert row not in client.get("/manage/performance").get_data(as_text=True)
    make_lead(make_customer(), owner, title="The owner's own sale", stage="Won", value=100)
    assert row in client.get("/manage/performance").get_data(as_text=True)
