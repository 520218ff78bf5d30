"""The search box in the header: /search?q= finds customers, leads, quotes and orders, tickets and products,
grouped by kind, each result one tap from its page, and only what the user may see.

`search_everything(user, typed)` runs one query per group (five in all), each the index's `matching()` joined
to the records and to the user's visibility rules (`visible`, below: the one place that decides it here).

Each group lists the newest records first (highest id, or number): the matches come out of the index already in
that order (search_index.newest_first), so a word that matches half the shop ("bici": 50 000 leads) costs what
a rare one does — the first eight visible are read and the rest never sorted. (Ordering by name or priority
sorted every match: 200 ms.)
"""
from dataclasses import dataclass

from flask import Blueprint, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import literal, select, union

from extensions import db
from models import Customer, Lead, Order, Product, Quote, Ticket
from sales.htmx import render_page
from sales.policy import can
from sales.search_index import matching, newest_first, record_matches, words_of

bp = Blueprint("search", __name__, url_prefix="/search")

PER_GROUP = 8
GROUPS = (("customers", _l("Customers")), ("leads", _l("Leads")), ("documents", _l("Quotes and orders")),
          ("tickets", _l("Tickets")), ("products", _l("Products")))


@dataclass
class Hit:
    label: str
    detail: str
    url: str


def visible(kind, user, statement):
    """The records of `kind` the user may see, as the rest of the app decides it (sales/leads/rules.py,
    sales/support/rules.py, the quote and order lists). None when the user may see none of that kind."""
    from sales.leads.rules import visible_to
    from sales.support.rules import visible_tickets

    if kind == "customer":
        return statement if can(user, "customers.view") else None
    if kind == "lead":
        return statement.where(visible_to(user)) if can(user, "leads.view") else None
    if kind in ("quote", "order"):
        if not can(user, "quotes.view"):
            return None
        owner_column = Quote.seller_id if kind == "quote" else Order.seller_id
        return statement.where(owner_column == user.id) if user.role == "seller" else statement
    if kind == "ticket":
        return visible_tickets(user, statement) if can(user, "tickets.view") else None
    if kind == "product":
        return statement.where(Product.active) if can(user, "quotes.view") else None
    raise ValueError(kind)


def _customers(user, typed):
    found = newest_first("customer", typed)
    statement = visible("customer", user, select(Customer).join(found, Customer.id == found.c.record_id))
    if statement is None:
        return []
    rows = db.session.scalars(statement.order_by(found.c.key.desc()).limit(PER_GROUP)).all()
    from sales.phones import display

    return [Hit(c.name, " · ".join(x for x in (c.contact_person, c.email, display(c.mobile or c.phone), c.city)
                                   if x), url_for("customers.show", customer_id=c.id)) for c in rows]


def _leads(user, typed):
    found = newest_first("lead", typed)
    statement = visible("lead", user, select(Lead.id, Lead.title, Customer.name)
                        .join(found, Lead.id == found.c.record_id).join(Customer, Customer.id == Lead.customer_id))
    if statement is None:
        return []
    rows = db.session.execute(statement.order_by(found.c.key.desc()).limit(PER_GROUP)).all()
    return [Hit(title, name, url_for("leads.show", lead_id=lead_id)) for lead_id, title, name in rows]


def _documents(user, typed):
    """Quotes and orders by their number, or by their customer's name: one query for both, four parts (quotes by
    number, quotes by customer, orders by number, orders by customer) each picking its newest eight on its own,
    so none reads every matching customer; the eight shown are picked from those before their customers' names
    are joined."""
    parts = []
    for kind, model in (("quote", Quote), ("order", Order)):
        # `+ 0` keeps SQLite's planner off the customer_id index: walking the newest quotes and checking each
        # against the matched customers stops after eight, where a probe per matched customer read all their
        # quotes first (40 → 12 ms for "garcia" at 100 000 customers).
        for condition in (record_matches(kind, typed, model.id), record_matches("customer", typed, model.customer_id + 0)):
            # Labelled: a subquery of plain labels is cheap to build, where proxies of the table's columns (with
            # their foreign keys) cost a millisecond per part.
            part = visible(kind, user, select(literal(kind).label("kind"), model.id.label("id"),
                                              model.number.label("number"), model.customer_id.label("customer_id"))
                           .where(condition))
            if part is None:
                break
            parts.append(select(part.order_by(model.number.desc()).limit(PER_GROUP).subquery()))
    if not parts:
        return []
    # UNION, not UNION ALL: a quote found by its number and by its customer is listed once.
    both = union(*parts).subquery()
    shown = select(both).order_by(both.c.number.desc()).limit(PER_GROUP).subquery()
    rows = db.session.execute(select(shown.c.kind, shown.c.id, shown.c.number, Customer.name)
                              .join(Customer, Customer.id == shown.c.customer_id)
                              .order_by(shown.c.number.desc())).all()
    return [Hit(number, customer, url_for("quotes.show", quote_id=record_id) if kind == "quote"
                else url_for("quotes.order", order_id=record_id)) for kind, record_id, number, customer in rows]


def _tickets(user, typed):
    # By the ticket's id, newest first, the eight picked before their customers are joined: "freno chirria"
    # (2 500 tickets) had joined every match to its ticket and customer before sorting them (23 ms on
    # PostgreSQL, whose estimate for two words always said together was 33).
    statement = visible("ticket", user, select(Ticket.id, Ticket.title, Ticket.customer_id)
                        .where(record_matches("ticket", typed, Ticket.id)))
    if statement is None:
        return []
    shown = statement.order_by(Ticket.id.desc()).limit(PER_GROUP).subquery()
    rows = db.session.execute(select(shown.c.id, shown.c.title, Customer.name)
                              .join(Customer, Customer.id == shown.c.customer_id).order_by(shown.c.id.desc())).all()
    return [Hit(f"{Ticket.number_of(ticket_id)} · {title}", name, url_for("support.show", ticket_id=ticket_id))
            for ticket_id, title, name in rows]


def _products(user, typed):
    statement = visible("product", user, select(Product).where(Product.id.in_(matching("product", typed))))
    if statement is None:
        return []
    rows = db.session.scalars(statement.order_by(Product.name).limit(PER_GROUP)).all()
    return [Hit(p.name, p.code, url_for("catalog.edit", product_id=p.id) if can(user, "catalog.edit")
                else url_for("catalog.index", q=p.code)) for p in rows]


FINDERS = {"customers": _customers, "leads": _leads, "documents": _documents, "tickets": _tickets,
           "products": _products}


def search_everything(user, typed):
    """[(group name, [Hit])] for the groups that found something, in the order of GROUPS."""
    if not words_of(typed):
        return []
    found = [(label, FINDERS[name](user, typed)) for name, label in GROUPS]
    return [(label, hits) for label, hits in found if hits]


@bp.route("")
def page():
    typed = request.args.get("q", "").strip()[:200]
    groups = search_everything(current_user, typed)
    return render_page("search/page.html", "search/_results.html", q=typed, groups=groups,
                       searched=bool(words_of(typed)))
