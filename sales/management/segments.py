"""Customer segments: groups of customers defined by filters, counted live, saved, exported, and reused by
other parts of Mostrador (campaigns) through customers_in().

Filters (all optional, combined with AND; unknown keys are ignored):
    source               a lead of the customer came from this source ("web_form", "referral"…)
    tag                  the customer has this tag
    city                 the customer's city (any capitalisation)
    min_spent, max_spent total of their orders (with tax) in the shop's currency at least / at most this amount
                         (orders made in another currency are not converted, so they do not count)
    purchased_within_days  bought something in the last N days
    no_purchase_for_days   has bought before, but nothing in the last N days
    bought_product       bought this product (id)
    bought_category      bought something of this product category
    not_bought_category  never bought anything of this product category

    >>> from sales.management.segments import customers_in
    >>> ids = customers_in({"tag": "vip", "no_purchase_for_days": 180})   # a select of Customer.id
    >>> db.session.scalars(select(Customer).where(Customer.id.in_(ids)))
"""
import json
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Optional, Union

from sqlalchemy import func, select

from extensions import db
from models import Customer, Lead, Order, OrderLine, Product, Segment, Tag, customer_tags
from sales import figures, phones
from sales.clock import shop_today
from sales.money import Amounts, shop_currency

TEXT_FILTERS = ("source", "tag", "city", "bought_category", "not_bought_category")
AMOUNT_FILTERS = ("min_spent", "max_spent")
COUNT_FILTERS = ("purchased_within_days", "no_purchase_for_days", "bought_product")
FILTER_KEYS = TEXT_FILTERS + AMOUNT_FILTERS + COUNT_FILTERS


def clean_filters(values: dict) -> dict:
    """Only known filters with a usable value, as JSON-friendly types (amounts as strings)."""
    clean = {}
    for key in FILTER_KEYS:
        value = values.get(key)
        if value in (None, ""):
            continue
        if key in TEXT_FILTERS:
            value = " ".join(str(value).split())
            if value:
                clean[key] = value
        elif key in AMOUNT_FILTERS:
            try:
                clean[key] = str(Decimal(str(value)))
            except InvalidOperation:
                continue
        else:
            try:
                number = int(value)
            except (TypeError, ValueError):
                continue
            if number >= 0:
                clean[key] = number
    return clean


def filters_of(segment_or_filters: Union[Segment, dict, str, None]) -> dict:
    if isinstance(segment_or_filters, Segment):
        return clean_filters(segment_or_filters.filter_values)
    if isinstance(segment_or_filters, str):
        try:
            segment_or_filters = json.loads(segment_or_filters)
        except ValueError:
            return {}
    return clean_filters(segment_or_filters or {})


def _bought(*conditions):
    return select(Order.customer_id).join(OrderLine, OrderLine.order_id == Order.id).where(*conditions)


def customers_in(segment_or_filters: Union[Segment, dict, str, None], today: Optional[date] = None):
    """A select() of the ids of active customers matching a segment (or a dict / JSON of filters)."""
    return select(Customer.id).where(*conditions(segment_or_filters, today))


def conditions(segment_or_filters: Union[Segment, dict, str, None], today: Optional[date] = None) -> list:
    """The WHERE conditions on Customer of a segment: each filter is an `id IN (…)` over an indexed column, so
    counting a segment stays one query."""
    filters = filters_of(segment_or_filters)
    today = today or shop_today()
    found = [Customer.archived_at.is_(None)]
    if "source" in filters:
        found.append(Customer.id.in_(select(Lead.customer_id).where(Lead.source == filters["source"])))
    if "tag" in filters:
        found.append(Customer.id.in_(
            select(customer_tags.c.customer_id).join(Tag, Tag.id == customer_tags.c.tag_id)
            .where(func.lower(Tag.name) == filters["tag"].lower())))
    if "city" in filters:
        found.append(func.lower(Customer.city) == filters["city"].lower())
    spent = select(Order.customer_id).group_by(Order.customer_id)
    in_shop_currency = func.sum(figures.order_amount_in(shop_currency()))
    if "min_spent" in filters:
        found.append(Customer.id.in_(
            spent.having(in_shop_currency >= Decimal(filters["min_spent"]))))
    if "max_spent" in filters:
        # Customers who never bought have spent nothing: they are within any maximum.
        found.append(Customer.id.not_in(
            spent.having(in_shop_currency > Decimal(filters["max_spent"]))))
    if "purchased_within_days" in filters:
        since = today - timedelta(days=filters["purchased_within_days"])
        found.append(Customer.id.in_(select(Order.customer_id).where(Order.ordered_on >= since)))
    if "no_purchase_for_days" in filters:
        before = today - timedelta(days=filters["no_purchase_for_days"])
        found.append(Customer.id.in_(spent.having(func.max(Order.ordered_on) < before)))
    if "bought_product" in filters:
        found.append(Customer.id.in_(_bought(OrderLine.product_id == filters["bought_product"])))
    in_category = lambda category: _bought(OrderLine.product_id.in_(  # noqa: E731
        select(Product.id).where(Product.category == category)))
    if "bought_category" in filters:
        found.append(Customer.id.in_(in_category(filters["bought_category"])))
    if "not_bought_category" in filters:
        found.append(Customer.id.not_in(in_category(filters["not_bought_category"])))
    return found


def count(segment_or_filters, today=None) -> int:
    return db.session.scalar(select(func.count()).select_from(customers_in(segment_or_filters, today).subquery()))


def customers_statement(segment_or_filters, today=None):
    """The matching customers themselves, by name: for lists and the CSV export."""
    # The conditions themselves, not `id IN (customers_in)`: the page then walks the customers by name and stops
    # at the page's end, instead of sorting all the matching ones (24 ms at 50 000).
    return select(Customer).where(*conditions(segment_or_filters, today)).order_by(Customer.name, Customer.id)


def export_currencies(segment_or_filters, today=None) -> list[str]:
    """The currencies the segment's customers bought in (alphabetically): one "Spent" column each in the CSV."""
    found = db.session.scalars(select(Order.currency).where(
        Order.customer_id.in_(customers_in(segment_or_filters, today))).distinct())
    return Amounts((currency, 1) for currency in found).currencies or [shop_currency()]


def export_rows(segment_or_filters, today=None, currencies=None):
    """(name, email, phone, city, orders, spent in each of `currencies`, last purchase) per customer: one query,
    streamed. Amounts are summed per currency, never converted."""
    currencies = currencies or [shop_currency()]
    spent = [func.sum(figures.order_amount_in(currency)).label(f"spent_{i}") for i, currency in enumerate(currencies)]
    if currencies == [shop_currency()]:
        spent = [func.sum(Order.total).label("spent_0")]   # one currency: every order (the covering index)
    totals = (select(Order.customer_id, func.count(Order.id).label("orders"), *spent,
                     func.max(Order.ordered_on).label("last"))
              .group_by(Order.customer_id).subquery())
    statement = (
        select(Customer.name, Customer.email, func.coalesce(Customer.mobile, Customer.phone), Customer.city,
               totals.c.orders, *(totals.c[f"spent_{i}"] for i in range(len(currencies))), totals.c.last)
        .outerjoin(totals, totals.c.customer_id == Customer.id)
        .where(Customer.id.in_(customers_in(segment_or_filters, today)))
        .order_by(Customer.name, Customer.id))
    for name, email, phone, city, orders, *amounts, last in db.session.execute(
            statement.execution_options(yield_per=500)):
        yield (name, email, phones.display(phone), city, orders or 0, *(amount or 0 for amount in amounts),
               last or "")


def save(name: str, filters: dict, segment: Optional[Segment] = None) -> Segment:
    segment = segment or Segment()
    segment.name = " ".join(name.split())
    segment.filters = json.dumps(clean_filters(filters), sort_keys=True)
    db.session.add(segment)
    return segment


def all_segments():
    return db.session.scalars(select(Segment).order_by(Segment.name)).all()


def name_taken(name: str, exclude_id=None) -> bool:
    statement = select(Segment.id).where(func.lower(Segment.name) == " ".join(name.split()).lower())
    if exclude_id:
        statement = statement.where(Segment.id != exclude_id)
    return db.session.scalar(statement) is not None
