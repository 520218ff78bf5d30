"""Quotation rules: drafting, sending (binding from then on), revising, the customer's decision, orders,
what changed between revisions, and product suggestions."""
import secrets
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from extensions import db
from models import (Lead, Order, OrderLine, Product, Quote, QuoteLine, QuoteRevision, ShopSetting, utcnow)
from sales.clock import shop_today
from sales.money import shop_currency
from sales.numbering import next_number
from sales.quotes.totals import document_totals, line_amounts


class NotEditable(Exception):
    """A sent revision is a binding document: it cannot change, only be superseded."""


def default_validity_days():
    try:
        return int(ShopSetting.get("quote_validity_days", "30"))
    except ValueError:
        return 30


def new_quote(customer, seller_id, lead=None, inquiry=None, today=None):
    today = today or shop_today()
    quote = Quote(number=next_number("quote", "Q", today.year), customer=customer, seller_id=seller_id,
                  lead=lead, inquiry_id=inquiry.id if inquiry else None)
    revision = QuoteRevision(quote=quote, number=1, status="draft", currency=shop_currency(),
                             valid_until=today + timedelta(days=default_validity_days()),
                             terms=ShopSetting.get("quote_terms"))
    db.session.add(quote)
    return quote, revision


def set_lines(revision, lines):
    """Replace a draft's lines with `lines` (dicts: product_id, description, quantity, unit_price,
    discount_percent, tax_rate) and recompute its totals."""
    if revision.status != "draft":
        raise NotEditable(revision)
    revision.lines.clear()
    amounts = []
    for position, data in enumerate(lines, start=1):
        money = line_amounts(data["quantity"], data["unit_price"], data["discount_percent"], data["tax_rate"])
        amounts.append(money)
        revision.lines.append(QuoteLine(position=position, product_id=data.get("product_id"),
                                        description=data["description"], quantity=data["quantity"],
                                        unit_price=data["unit_price"], discount_percent=data["discount_percent"],
                                        tax_rate=data["tax_rate"], net=money.net, tax=money.tax))
    revision.subtotal, revision.tax_total, revision.total = document_totals(amounts)


def add_product(revision, product, quantity=Decimal(1)):
    """One more line on a draft: the product at its catalog price and tax (a suggestion taken with one tap)."""
    lines = [dict(product_id=l.product_id, description=l.description, quantity=l.quantity, unit_price=l.unit_price,
                  discount_percent=l.discount_percent, tax_rate=l.tax_rate) for l in revision.lines]
    lines.append(dict(product_id=product.id, description=product.name, quantity=quantity,
                      unit_price=product.unit_price, discount_percent=Decimal(0), tax_rate=product.tax_rate))
    set_lines(revision, lines)


def send(revision, when=None):
    """Make the draft binding: it gets its customer link; an earlier sent revision is superseded."""
    if revision.status != "draft":
        raise NotEditable(revision)
    revision.status = "sent"
    revision.sent_at = when or utcnow()
    revision.token = secrets.token_urlsafe(32)
    for other in revision.quote.revisions:
        if other is not revision and other.status == "sent":
            other.status = "superseded"


def revise(quote):
    """Start revision N+1 as a draft copy of the latest one. The sent revision stays exactly as it was."""
    latest = quote.latest
    if latest.status == "draft":
        return latest
    if latest.status == "accepted":
        raise NotEditable(latest)
    revision = QuoteRevision(quote=quote, number=latest.number + 1, status="draft", currency=latest.currency,
                             valid_until=max(latest.valid_until, shop_today() + timedelta(days=default_validity_days())),
                             need=latest.need, solution=latest.solution, benefits=latest.benefits,
                             terms=latest.terms, notes=latest.notes)
    db.session.add(revision)
    set_lines(revision, [dict(product_id=l.product_id, description=l.description, quantity=l.quantity,
                              unit_price=l.unit_price, discount_percent=l.discount_percent, tax_rate=l.tax_rate)
                         for l in latest.lines])
    return revision


def revision_by_token(token):
    return db.session.scalar(select(QuoteRevision).where(QuoteRevision.token == token)) if token else None


def accept(revision, name, address, user_id=None, today=None):
    """The customer accepts: the revision is decided, an order is made and the lead is won."""
    revision.status = "accepted"
    revision.decided_at = utcnow()
    revision.decided_by_name = name
    revision.decided_from = address
    order = make_order(revision, today=today)
    from sales.documents.rules import plans_from_care

    plans_from_care(order, today or shop_today())
    if revision.quote.lead is not None:
        from sales.leads.rules import refresh_priority
        from sales.leads.stages import move_to_stage, stage_of_kind

        lead = revision.quote.lead
        move_to_stage(lead, stage_of_kind("won"), user_id=user_id)
        lead.won_amount = revision.total
        refresh_priority(lead)
    return order


def decline(revision, name, reason, address):
    revision.status = "declined"
    revision.decided_at = utcnow()
    revision.decided_by_name = name
    revision.decline_reason = reason
    revision.decided_from = address


def make_order(revision, today=None):
    today = today or shop_today()
    quote = revision.quote
    order = Order(number=next_number("order", "O", today.year), customer_id=quote.customer_id,
                  lead_id=quote.lead_id, seller_id=quote.seller_id, ordered_on=today, currency=revision.currency,
                  subtotal=revision.subtotal, tax_total=revision.tax_total, total=revision.total,
                  notes=f"{quote.number} rev. {revision.number}")
    for line in revision.lines:
        order.lines.append(OrderLine(position=line.position, product_id=line.product_id,
                                     description=line.description, quantity=line.quantity,
                                     unit_price=line.unit_price, discount_percent=line.discount_percent,
                                     tax_rate=line.tax_rate, line_total=line.net,
                                     warranty_months=line.product.warranty_months if line.product else None))
    db.session.add(order)
    db.session.flush()
    quote.order_id = order.id
    return order


def changes(previous, current):
    """What changed from `previous` to `current`: lines added, removed, changed (field by field), totals."""
    def key(line):
        return line.product_id or line.description

    before = {key(l): l for l in previous.lines}
    after = {key(l): l for l in current.lines}
    fields = ("description", "quantity", "unit_price", "discount_percent", "tax_rate", "net")
    changed = []
    for k in before.keys() & after.keys():
        diffs = [(f, getattr(before[k], f), getattr(after[k], f)) for f in fields
                 if getattr(before[k], f) != getattr(after[k], f)]
        if diffs:
            changed.append((after[k], diffs))
    return {
        "added": [after[k] for k in after.keys() - before.keys()],
        "removed": [before[k] for k in before.keys() - after.keys()],
        "changed": changed,
        "totals": [(name, getattr(previous, name), getattr(current, name))
                   for name in ("subtotal", "tax_total", "total") if getattr(previous, name) != getattr(current, name)],
    }


HEADER_FIELDS = ("valid_until", "need", "solution", "benefits", "terms", "notes")


def typed_draft(lines, header):
    """What a person typed into a draft's form, shaped like a revision so `changes()` can compare it with the
    saved one: lines (dicts from the form) with their amounts, totals, and the header fields."""
    typed_lines, amounts = [], []
    for data in lines:
        money = line_amounts(data["quantity"], data["unit_price"], data["discount_percent"], data["tax_rate"])
        amounts.append(money)
        typed_lines.append(SimpleNamespace(**data, net=money.net))
    subtotal, tax_total, total = document_totals(amounts)
    return SimpleNamespace(lines=typed_lines, subtotal=subtotal, tax_total=tax_total, total=total, **header)


def header_changes(saved, typed):
    """Header fields where the saved draft and the typed one differ: (field, saved, typed)."""
    return [(name, getattr(saved, name), getattr(typed, name)) for name in HEADER_FIELDS
            if (getattr(saved, name) or None) != (getattr(typed, name) or None)]


def suggestions(customer_id, product_ids, limit=5):
    """Products that customers who bought these also bought, and this customer has not bought yet."""
    if not product_ids:
        return []
    buyers_orders = select(OrderLine.order_id).where(OrderLine.product_id.in_(product_ids))
    already = select(OrderLine.product_id).join(Order).where(Order.customer_id == customer_id,
                                                            OrderLine.product_id.is_not(None))
    rows = db.session.execute(
        select(Product, func.count(func.distinct(OrderLine.order_id)).label("times"))
        .join(OrderLine, OrderLine.product_id == Product.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.order_id.in_(buyers_orders), Order.customer_id != customer_id,
               Product.id.not_in(product_ids), Product.id.not_in(already), Product.active)
        .group_by(Product.id).order_by(func.count(func.distinct(OrderLine.order_id)).desc(), Product.name)
        .limit(limit)
    ).all()
    return [(product, times) for product, times in rows]


def accepted_total_for(lead):
    """For closing a deal: the total of the lead's accepted quotation, if there is one."""
    return db.session.scalar(
        select(QuoteRevision.total).join(Quote).where(Quote.lead_id == lead.id, QuoteRevision.status == "accepted")
        .order_by(QuoteRevision.decided_at.desc()).limit(1))


def latest_status():
    """SQL: the status of a quote's latest revision (what the quote list filters on)."""
    return (select(QuoteRevision.status).where(QuoteRevision.quote_id == Quote.id)
            .order_by(QuoteRevision.number.desc()).limit(1).scalar_subquery())


def quotes_of_lead(lead):
    return db.session.scalars(select(Quote).where(Quote.lead_id == lead.id).order_by(Quote.id)
                              .options(joinedload(Quote.revisions))).unique().all()


def ensure_lead_in_proposal(lead, user_id):
    """Sending a quote for a lead still before Proposal moves it there."""
    from sales.leads.stages import ensure_default_stages, move_to_stage

    stages = [s for s in ensure_default_stages() if s.kind == "open"]
    if len(stages) < 4 or lead.stage.kind != "open":
        return
    proposal = stages[3]
    if lead.stage.position < proposal.position:
        move_to_stage(lead, proposal, user_id=user_id)


def lead_choices_for(customer_id, user, keep=None):
    """The customer's leads a quote by `user` may be for: those they work (another seller's lead is not
    offered, H2), plus the one the quote already has."""
    from sales.records import changeable

    leads = db.session.scalars(select(Lead).where(Lead.customer_id == customer_id, changeable(Lead, user))
                               .order_by(Lead.id.desc())).all()
    if keep is not None and keep not in leads:
        leads.insert(0, keep)
    return leads


ZERO = Decimal("0")
