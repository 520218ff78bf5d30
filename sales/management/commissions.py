"""Commissions: what each seller earns from the rules the owner sets, with the calculation spelled out.

Sales are order lines (their total before tax) of orders credited to the seller (sales.management.figures),
dated in the period. A rule is a percentage for one seller or everyone, one product category or all of them,
optionally only on the part of a month's sales above a threshold. For each seller and category the most
specific rule applies: a seller's own rule over the shop-wide one, a category's rule over the "all categories"
one, which covers whatever no category rule covers (including lines without a category).

Rules (their thresholds) are in the shop's currency, so only sales in it earn a commission here: sales made in
other currencies (before the shop changed its currency) are listed per currency as sold, never converted.

The threshold is a monthly one, so commissions are worked out month by month and a quarter, a year or any
range is the sum of its months: a year's commission is exactly its twelve months added up. (In a free range
that starts or ends in the middle of a month, that month counts with the part of its sales inside the range.)
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from sqlalchemy import func, select

from extensions import db
from models import CommissionRule, Lead, Order, OrderLine, Product
from sales import figures
from sales.management.periods import Period, parse
from sales.management.sql import month_of
from sales.money import Amounts, shop_currency

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass
class CommissionLine:
    category: Optional[str]        # None: all categories no other rule covers
    sold: Decimal
    percent: Decimal
    threshold: Optional[Decimal]
    seller_rule: bool              # the seller's own rule (True) or the shop-wide one
    monthly: list["CommissionLine"] = field(default_factory=list)   # several months: the line of each month

    @property
    def base(self) -> Decimal:
        if self.monthly:
            return sum((line.base for line in self.monthly), ZERO)
        return max(ZERO, self.sold - (self.threshold or ZERO))

    @property
    def amount(self) -> Decimal:
        if self.monthly:
            return sum((line.amount for line in self.monthly), ZERO)
        return (self.base * self.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Commission:
    seller_id: int
    lines: list[CommissionLine]
    sold: Decimal                  # everything the seller sold in the period, covered by a rule or not
    months: list[tuple] = field(default_factory=list)   # [(month Period, Commission)] with sales, oldest first
    sold_elsewhere: Amounts = field(default_factory=Amounts)   # sold in other currencies: no commission

    @property
    def sold_in_all(self) -> Amounts:
        return Amounts.of(self.sold) + self.sold_elsewhere

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def rules_for(seller_id: int, rules) -> dict[Optional[str], CommissionRule]:
    """{category or None: the rule that applies to this seller}; a seller's own rule beats the shop's."""
    chosen: dict[Optional[str], CommissionRule] = {}
    for rule in sorted(rules, key=lambda r: r.seller_id is not None):
        if rule.seller_id in (None, seller_id):
            chosen[rule.category] = rule
    return chosen


def calculate(seller_id: int, sales: dict[Optional[str], Decimal], rules) -> Commission:
    """The commission of one seller from their sales per category and the shop's rules. No database."""
    applicable = rules_for(seller_id, rules)
    lines = []
    for category in sorted(c for c in applicable if c is not None):
        rule = applicable[category]
        lines.append(CommissionLine(category, sales.get(category, ZERO), rule.percent, rule.threshold,
                                    rule.seller_id is not None))
    if None in applicable:
        rule = applicable[None]
        rest = sum((amount for category, amount in sales.items() if category is None or category not in applicable),
                   ZERO)
        lines.append(CommissionLine(None, rest, rule.percent, rule.threshold, rule.seller_id is not None))
    return Commission(seller_id, lines, sum(sales.values(), ZERO))


def sales_by_month(period: Period, seller_ids) -> dict[int, dict[str, dict[Optional[str], Decimal]]]:
    """{seller id: {"2026-03": {category: sold before tax}}} in the period, in the shop's currency."""
    return sales_by_month_and_currency(period, seller_ids)[0]


def sales_by_month_and_currency(period: Period, seller_ids) -> tuple[dict, dict[int, Amounts]]:
    """(sales_by_month's answer, {seller id: Amounts sold in other currencies}) in the period: one GROUP BY over
    order lines."""
    month = month_of(Order.ordered_on)
    seller = figures.order_seller().label("credited")
    rows = db.session.execute(
        select(seller, Order.currency, month, Product.category, func.sum(OrderLine.line_total))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Lead, Lead.id == Order.lead_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(Order.ordered_on >= period.start, Order.ordered_on < period.end, seller.in_(seller_ids))
        .group_by(seller, Order.currency, month, Product.category))
    result: dict[int, dict] = {seller_id: {} for seller_id in seller_ids}
    elsewhere: dict[int, Amounts] = {}
    own = shop_currency()
    for seller_id, currency, month_key, category, total in rows:
        amount = Decimal(str(total or 0)).quantize(CENT)
        if currency in (None, own):
            result[seller_id].setdefault(month_key, {})[category] = amount
        else:
            elsewhere[seller_id] = elsewhere.get(seller_id, Amounts()) + Amounts.of(amount, currency)
    return result, elsewhere


def over_months(seller_id: int, sales_per_month: dict[str, dict], rules) -> Commission:
    """A seller's commission over several months: each month on its own (its threshold), then added up."""
    months = [(parse(key), calculate(seller_id, sales, rules)) for key, sales in sorted(sales_per_month.items())]
    whole = calculate(seller_id, {}, rules)
    for line in whole.lines:
        line.monthly = [month_line for _month, commission in months for month_line in commission.lines
                        if month_line.category == line.category]
        line.sold = sum((month_line.sold for month_line in line.monthly), ZERO)
    whole.sold = sum((commission.sold for _month, commission in months), ZERO)
    whole.months = months
    return whole


def all_rules():
    return db.session.scalars(select(CommissionRule).order_by(CommissionRule.seller_id.is_not(None),
                                                              CommissionRule.category.is_(None),
                                                              CommissionRule.category, CommissionRule.id)).all()


def commissions(period: Period, people) -> list[tuple]:
    """[(person, Commission)] for the period, month by month: two queries whatever the number of sales."""
    ids = [person.id for person in people]
    sales, elsewhere = sales_by_month_and_currency(period, ids) if ids else ({}, {})
    rules = all_rules()
    result = []
    for person in people:
        commission = over_months(person.id, sales.get(person.id, {}), rules)
        commission.sold_elsewhere = elsewhere.get(person.id, Amounts())
        result.append((person, commission))
    return result


def categories() -> list[str]:
    return list(db.session.scalars(select(Product.category).where(Product.category.is_not(None))
                                   .distinct().order_by(Product.category)))


def save_rule(seller_id: Optional[int], category: Optional[str], percent: Decimal,
              threshold: Optional[Decimal]) -> CommissionRule:
    """One rule per seller (or everyone) and category: saving again changes it."""
    rule = db.session.scalar(select(CommissionRule).where(
        CommissionRule.seller_id.is_(None) if seller_id is None else CommissionRule.seller_id == seller_id,
        CommissionRule.category.is_(None) if category is None else CommissionRule.category == category))
    if rule is None:
        rule = CommissionRule(seller_id=seller_id, category=category)
        db.session.add(rule)
    rule.percent, rule.threshold = percent, threshold
    return rule
