"""Commissions: the rules' precedence and the calculation, by hand; the page for the owner and a seller."""
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from extensions import db
from models import CommissionRule, Customer, Order, OrderLine, Product, User
from tests.conftest import login, text_of

D = Decimal


def rule(percent, category=None, seller_id=None, threshold=None):
    return SimpleNamespace(percent=D(percent), category=category, seller_id=seller_id,
                           threshold=D(threshold) if threshold is not None else None)


def test_plain_percentage_of_everything_sold():
    from sales.management.commissions import calculate

    commission = calculate(1, {"Bikes": D("1000"), None: D("200")}, [rule("5")])
    assert [(line.category, line.sold, line.amount) for line in commission.lines] == [(None, D("1200"), D("60.00"))]
    assert commission.total == D("60.00") and commission.sold == D("1200")


def test_category_rule_takes_its_category_out_of_the_general_rule():
    from sales.management.commissions import calculate

    commission = calculate(1, {"Bikes": D("1000"), "Parts": D("300"), None: D("100")},
                           [rule("2"), rule("10", category="Parts")])
    assert [(line.category, line.sold, line.amount) for line in commission.lines] == [
        ("Parts", D("300"), D("30.00")), (None, D("1100"), D("22.00"))]
    assert commission.total == D("52.00")


def test_threshold_pays_only_on_the_part_above_it():
    from sales.management.commissions import calculate

    above = calculate(1, {"Bikes": D("5000")}, [rule("4", threshold="3000")])
    assert (above.lines[0].base, above.lines[0].amount) == (D("2000"), D("80.00"))
    below = calculate(1, {"Bikes": D("2500")}, [rule("4", threshold="3000")])
    assert (below.lines[0].base, below.lines[0].amount) == (D("0"), D("0.00"))


def test_a_sellers_own_rule_replaces_the_shop_wide_one():
    from sales.management.commissions import calculate

    rules = [rule("3"), rule("6", seller_id=7), rule("1", category="Bikes", seller_id=8)]
    seven = calculate(7, {"Bikes": D("100")}, rules)
    assert [(line.percent, line.seller_rule, line.amount) for line in seven.lines] == [(D("6"), True, D("6.00"))]
    eight = calculate(8, {"Bikes": D("100"), "Parts": D("50")}, rules)
    assert [(line.category, line.amount) for line in eight.lines] == [("Bikes", D("1.00")), (None, D("1.50"))]


def test_no_rules_or_no_sales_mean_no_commission():
    from sales.management.commissions import calculate

    assert calculate(1, {"Bikes": D("100")}, []).total == 0
    nothing = calculate(1, {}, [rule("5")])
    assert nothing.total == 0 and nothing.lines[0].sold == 0


@pytest.fixture
def sales(app, make_user):
    """Ana sold in March 2026: a bike for 1 000 and parts for 200 (one order), and 500 of bikes in April."""
    ana = make_user("seller", name="Ana Alba")
    ben = make_user("seller", name="Ben Brea")
    with app.app_context():
        bike = Product(code="B1", name="Bike", category="Bikes", unit_price=D("1000"))
        part = Product(code="P1", name="Pump", category="Parts", unit_price=D("20"))
        customer = Customer(name="Clienta")
        db.session.add_all([bike, part, customer])
        db.session.flush()
        for number, day, lines in (("O-1", date(2026, 3, 10), [(bike, "1000"), (part, "200")]),
                                   ("O-2", date(2026, 4, 2), [(bike, "500")])):
            order = Order(number=number, customer_id=customer.id, seller_id=ana.id, ordered_on=day)
            for position, (product, total) in enumerate(lines):
                order.lines.append(OrderLine(position=position, product_id=product.id, description=product.name,
                                             quantity=D("1"), unit_price=D(total), line_total=D(total)))
            db.session.add(order)
        db.session.add(CommissionRule(percent=D("5")))
        db.session.add(CommissionRule(category="Parts", percent=D("10")))
        db.session.commit()
    return {"ana": ana, "ben": ben}


def test_sales_are_summed_per_seller_month_and_category_in_the_period(app, sales):
    from sales.management.commissions import sales_by_month
    from sales.management.periods import parse

    with app.app_context():
        march = sales_by_month(parse("2026-03"), [sales["ana"].id, sales["ben"].id])
        spring = sales_by_month(parse("2026-Q2"), [sales["ana"].id])
    assert march == {sales["ana"].id: {"2026-03": {"Bikes": D("1000.00"), "Parts": D("200.00")}}, sales["ben"].id: {}}
    assert spring == {sales["ana"].id: {"2026-04": {"Bikes": D("500.00")}}}


def test_a_threshold_applies_to_each_month_so_a_year_is_the_sum_of_its_months(app, sales):
    """Ana sold 1 200 in March and 500 in April; over 600 a month at 10 %: March earns 60, April nothing."""
    from sales.management.commissions import commissions, save_rule
    from sales.management.periods import parse

    with app.test_request_context():
        db.session.query(CommissionRule).delete()
        save_rule(None, None, D("10"), D("600"))
        db.session.commit()
        ana = db.session.get(User, sales["ana"].id)
        by_month = {key: commissions(parse(key), [ana])[0][1].total for key in ("2026-03", "2026-04", "2026-05")}
        year = commissions(parse("2026"), [ana])[0][1]
        free_range = commissions(parse("2026-03-01..2026-04-30"), [ana])[0][1]
    assert by_month == {"2026-03": D("60.00"), "2026-04": D("0.00"), "2026-05": D("0")}
    assert year.total == sum(by_month.values()) == free_range.total
    assert [(month.key, c.total) for month, c in year.months] == [("2026-03", D("60.00")), ("2026-04", D("0.00"))]
    assert year.sold == D("1700.00") and year.lines[0].base == D("600.00")


def test_owner_sees_each_calculation(client, owner, sales):
    login(client, owner)
    page = text_of(client.get("/manage/commissions?period=2026-03"))
    assert "€70.00 Ana Alba · sold €1,200.00 before tax" in page
    assert "Ana Alba Parts shop-wide rule €200.00 — €200.00 10 €20.00" in page
    assert "Ana Alba All other categories shop-wide rule €1,000.00 — €1,000.00 5 €50.00" in page
    assert "Ana Alba: total — — €1,200.00 — — — €70.00" in page
    assert "€0.00 Ben Brea" in page and "Whole shop — — €1,200.00 — — — €70.00" in page
    csv = client.get("/manage/commissions.csv?period=2026-03").get_data(as_text=True)
    assert "Ana Alba,Parts,shop-wide rule,200.00,,200.00,10,20.00" in csv
    assert csv.strip().splitlines()[-1] == "Whole shop,,,1200.00,,,,70.00"
    assert client.get("/manage/commissions?period=2026-01", headers={"HX-Request": "true"}).status_code == 200


def test_owner_adds_changes_and_removes_a_rule(client, owner, sales, app):
    login(client, owner)
    response = client.post("/manage/commissions/rules", data={"seller_id": sales["ana"].id, "category": "Bikes",
                                                                "percent": "8", "threshold": "600"})
    assert response.status_code == 303
    page = text_of(client.get("/manage/commissions?period=2026-03"))
    assert "Ana Alba Bikes own rule €1,000.00 €600.00 €400.00 8 €32.00" in page
    assert "The thresholds apply to the sales of March 2026." in page
    client.post("/manage/commissions/rules", data={"seller_id": sales["ana"].id, "category": "Bikes", "percent": "9"})
    with app.app_context():
        own = db.session.query(CommissionRule).filter_by(seller_id=sales["ana"].id).all()
        assert [(r.percent, r.threshold) for r in own] == [(D("9.00"), None)]
        rule_id = own[0].id
    assert client.post(f"/manage/commissions/rules/{rule_id}/delete").status_code == 303
    assert client.post(f"/manage/commissions/rules/{rule_id}/delete").status_code == 404


def test_rule_form_errors_are_shown_next_to_the_field(client, owner, sales):
    login(client, owner)
    response = client.post("/manage/commissions/rules", data={"seller_id": "0", "category": "", "percent": "150"})
    assert response.status_code == 422
    assert "Number must be between 0 and 100" in text_of(response)


def test_seller_sees_only_their_commission_and_cannot_change_rules(client, sales):
    login(client, sales["ben"])
    page = text_of(client.get("/manage/commissions?period=2026-03"))
    assert "€0.00 Ben Brea" in page and "Ana Alba" not in page and "Save rule" not in page
    assert client.get(f"/manage/commissions?seller={sales['ana'].id}").status_code == 403
    assert client.get(f"/manage/commissions.csv?seller={sales['ana'].id}").status_code == 403
    assert client.post("/manage/commissions/rules", data={"seller_id": "0", "percent": "50"}).status_code == 403
    assert client.post("/manage/commissions/rules/1/delete").status_code == 403


def test_support_sees_no_commissions(client, support, sales):
    login(client, support)
    assert client.get("/manage/commissions").status_code == 403
