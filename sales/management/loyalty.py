"""Repeat purchase and loyalty, as things stood on a day (`as_of`): who is due to buy again, who has lapsed,
the best customers by recency, frequency and amount (RFM), and cross-sell lists. All in SQL.

- A customer's purchase interval is the average number of days between their first and last order:
  (last − first) / (orders − 1). It needs two orders.
- Due to buy again: two orders or more, and the next purchase (last + interval) is expected within
  DUE_AHEAD_DAYS or is late by less than one interval.
- Lapsed: late by more than one interval (no purchase for over twice their interval), or a single purchase
  more than ONE_TIME_LAPSE_DAYS ago.
- RFM: each customer with orders gets 1–5 for recency (5: bought most recently), frequency (number of orders)
  and amount (total spent); the best have the highest sum. Ties are fair: the distinct values are put in order
  (dense ranking: equal values share one rank, the next value takes the next rank) and the ranks are cut in five
  equal bands, the highest band scoring 5: score = ⌈5 × rank / number of distinct values⌉. Customers with the
  same number of orders, the same last purchase day or the same amount always get the same score, whatever
  their id.
- Amounts are summed per currency, never converted. "Spent" lists what a customer spent in each currency; the
  ordering by amount and the RFM amount score use what they spent in the shop's currency (while every order is
  in it, that is everything; after a change of currency, the older orders are shown but not ranked).
"""
from datetime import date

from sqlalchemy import Date, and_, case, func, literal, or_, select

from extensions import db
from models import Customer, Order
from sales import figures
from sales.money import Amounts, shop_currency
from sales.management.segments import customers_in
from sales.management.sql import days_between

DUE_AHEAD_DAYS = 30
ONE_TIME_LAPSE_DAYS = 365


def _other_currencies(as_of: date) -> list[str]:
    """The currencies other than the shop's that orders up to `as_of` were made in (none, mostly)."""
    return list(db.session.scalars(select(Order.currency).where(Order.ordered_on <= as_of,
                                                                Order.currency != shop_currency()).distinct()))


def _history(as_of: date, mixed: bool = False):
    # One currency only: the plain sum, read from the covering index (customer, date, total).
    spent = func.sum(figures.order_amount_in(shop_currency())) if mixed else func.sum(Order.total)
    return (select(Order.customer_id, func.count().label("orders"),
                   func.min(Order.ordered_on).label("first"), func.max(Order.ordered_on).label("last"),
                   spent.label("spent"))
            .where(Order.ordered_on <= as_of).group_by(Order.customer_id).subquery())


def _spent_per_currency(rows, as_of: date, others: list[str]):
    """Each row's "spent" as Amounts: its shop-currency sum, plus what it spent in the other currencies."""
    own = shop_currency()
    elsewhere: dict = {}
    ids = [row["id"] for row in rows]
    for start in range(0, len(ids) if others else 0, 500):
        for customer_id, currency, total in db.session.execute(
                select(Order.customer_id, Order.currency, func.sum(Order.total))
                .where(Order.customer_id.in_(ids[start:start + 500]), Order.ordered_on <= as_of,
                       Order.currency != own).group_by(Order.customer_id, Order.currency)):
            elsewhere[customer_id] = elsewhere.get(customer_id, Amounts()) + Amounts.of(total, currency)
    for row in rows:
        row["spent"] = Amounts.of(row["spent"], own) + elsewhere.get(row["id"], Amounts())
    return rows


def _with_rhythm(as_of: date, mixed: bool = False):
    history = _history(as_of, mixed)
    interval = case((history.c.orders > 1, days_between(history.c.first, history.c.last) / (history.c.orders - 1)),
                    else_=None)
    since = days_between(history.c.last, literal(as_of, Date))
    return (select(history.c.customer_id, history.c.orders, history.c.last, history.c.spent,
                   interval.label("interval"), since.label("since"))
            .subquery())


def _rows(statement, limit, as_of, others):
    if limit:
        statement = statement.limit(limit)
    return _spent_per_currency([row._asdict() for row in db.session.execute(statement)], as_of, others)


def _listing(rhythm, condition, order_by):
    return (select(Customer.id, Customer.name, Customer.city, rhythm.c.orders, rhythm.c.last, rhythm.c.spent,
                   rhythm.c.interval, rhythm.c.since)
            .join(rhythm, rhythm.c.customer_id == Customer.id)
            .where(Customer.archived_at.is_(None), condition).order_by(*order_by, Customer.id))


def due_to_buy(as_of: date, limit=50):
    """Customers whose next purchase is expected soon or is a little late, the most overdue first."""
    others = _other_currencies(as_of)
    rhythm = _with_rhythm(as_of, bool(others))
    late_by = rhythm.c.since - rhythm.c.interval
    condition = and_(rhythm.c.orders > 1, rhythm.c.interval > 0, late_by >= -DUE_AHEAD_DAYS,
                     late_by <= rhythm.c.interval)
    return _rows(_listing(rhythm, condition, (late_by.desc(),)), limit, as_of, others)


def lapsed(as_of: date, limit=50):
    """Customers who stopped buying, the biggest spenders first: the ones worth a call."""
    others = _other_currencies(as_of)
    rhythm = _with_rhythm(as_of, bool(others))
    condition = or_(and_(rhythm.c.orders > 1, rhythm.c.since > 2 * rhythm.c.interval),
                    and_(rhythm.c.orders == 1, rhythm.c.since > ONE_TIME_LAPSE_DAYS))
    return _rows(_listing(rhythm, condition, (rhythm.c.spent.desc(),)), limit, as_of, others)


def band(rank, distinct, bands=5):
    """⌈bands × rank / distinct⌉ in whole numbers (SQLite and PostgreSQL divide integers the same way)."""
    return (rank * bands + distinct - 1) // distinct


def best_customers(as_of: date, limit=20):
    """RFM scores 1–5 by dense-ranked bands over every customer with orders; the highest total first."""
    others = _other_currencies(as_of)
    history = _history(as_of, bool(others))
    ranked = select(
        history.c.customer_id, history.c.orders, history.c.last, history.c.spent,
        func.dense_rank().over(order_by=history.c.last).label("r_rank"),
        func.dense_rank().over(order_by=history.c.orders).label("f_rank"),
        func.dense_rank().over(order_by=history.c.spent).label("a_rank"),
    ).subquery()
    scored = select(
        ranked.c.customer_id, ranked.c.orders, ranked.c.last, ranked.c.spent,
        band(ranked.c.r_rank, func.max(ranked.c.r_rank).over()).label("recency"),
        band(ranked.c.f_rank, func.max(ranked.c.f_rank).over()).label("frequency"),
        band(ranked.c.a_rank, func.max(ranked.c.a_rank).over()).label("amount"),
    ).subquery()
    score = (scored.c.recency + scored.c.frequency + scored.c.amount).label("score")
    # Ranked and cut before the join, so only the customers shown are read (the archived ones come from an index).
    archived = select(Customer.id).where(Customer.archived_at.is_not(None))
    best = (select(scored, score).where(scored.c.customer_id.not_in(archived))
            .order_by(score.desc(), scored.c.spent.desc(), scored.c.customer_id))
    if limit:
        best = best.limit(limit)
    best = best.subquery()
    statement = (select(Customer.id, Customer.name, Customer.city, best.c.orders, best.c.last, best.c.spent,
                        best.c.recency, best.c.frequency, best.c.amount, best.c.score)
                 .join(best, best.c.customer_id == Customer.id)
                 .order_by(best.c.score.desc(), best.c.spent.desc(), Customer.id))
    return _rows(statement, None, as_of, others)


def cross_sell(bought: str, never: str, limit=50):
    """Customers who bought from category `bought` and never from `never`, the biggest spenders first."""
    others = _other_currencies(date.max)
    history = _history(date.max, bool(others))
    statement = (select(Customer.id, Customer.name, Customer.city, history.c.orders, history.c.last,
                        history.c.spent)
                 .join(history, history.c.customer_id == Customer.id)
                 .where(Customer.id.in_(customers_in({"bought_category": bought, "not_bought_category": never})))
                 .order_by(history.c.spent.desc(), Customer.id))
    return _rows(statement, limit, date.max, others)
