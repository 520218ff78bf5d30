"""The orders an imported history brings: every won deal of the file is a sale, so it becomes an order — dated on
the deal's close date, for the deal's customer and seller, with the deal's products and won amount — and
commissions, loyalty, segments and every figure that reads orders count the history too.

An imported order belongs to its deal (Order.lead_id, Order.imported): importing the file again brings each one
in step with its deal (the deal is found by its external ID), and removes it when the deal is no longer won. A
deal already sold through a quote has that quote's order and gets no second one. The file's amount is taken as the
sale's amount before tax: no tax rate is invented for a sale whose invoice the shop no longer has.
"""
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Lead, LeadProduct, Order, OrderLine
from sales.bulk import insert_returning_ids
from sales.numbering import next_numbers

CENT = Decimal("0.01")
ZERO = Decimal("0")


@dataclass
class OrderCounts:
    created: int = 0
    updated: int = 0
    removed: int = 0


def deal_amount(lead):
    """What a won deal sold for, as the reports count it (sales.figures.deal_revenue)."""
    amount = lead.won_amount if lead.won_amount is not None else lead.estimated_value
    return Decimal(amount or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def planned_lines(lead):
    """[(product_id, description, quantity, unit_price, line_total, warranty_months)]: the deal's amount spread
    over its products by their catalog prices (evenly when the catalog has none); a deal without products sells
    one line named by its title."""
    amount = deal_amount(lead)
    products = sorted(lead.products, key=lambda p: p.product_id)
    if not products:
        return [(None, lead.title[:300], Decimal("1"), amount, amount, None)]
    weights = [Decimal(p.product.unit_price or 0) * Decimal(p.quantity) for p in products]
    if not any(weights):
        weights = [Decimal(p.quantity) or Decimal("1") for p in products]
    whole = sum(weights, ZERO)
    lines, given = [], ZERO
    for position, (item, weight) in enumerate(zip(products, weights)):
        last = position == len(products) - 1
        total = amount - given if last else (amount * weight / whole).quantize(CENT, rounding=ROUND_HALF_UP)
        given += total
        quantity = Decimal(item.quantity) or Decimal("1")
        lines.append((item.product_id, item.product.name[:300], quantity,
                      (total / quantity).quantize(CENT, rounding=ROUND_HALF_UP), total, item.product.warranty_months))
    return lines


def _signature(order):
    return [(line.product_id, line.description, Decimal(line.quantity), Decimal(line.unit_price),
             Decimal(line.line_total), line.warranty_months) for line in order.lines]


def sync_orders(lead_ids, importer, now):
    """Make, update or remove the imported orders of these deals so each won one has exactly one. The caller's
    transaction holds the chunk: a few queries and multi-row INSERTs per chunk, not per deal."""
    counts = OrderCounts()
    lead_ids = list(dict.fromkeys(lead_ids))
    planned = []
    for start in range(0, len(lead_ids), 500):
        ids = lead_ids[start:start + 500]
        leads = db.session.scalars(select(Lead).where(Lead.id.in_(ids)).options(
            selectinload(Lead.stage), selectinload(Lead.products).selectinload(LeadProduct.product))).all()
        orders = defaultdict(list)
        for order in db.session.scalars(select(Order).where(Order.lead_id.in_(ids))
                                        .options(selectinload(Order.lines))):
            orders[order.lead_id].append(order)
        for lead in leads:
            imported = [o for o in orders[lead.id] if o.imported]
            sold_otherwise = any(not o.imported for o in orders[lead.id])
            wanted = lead.stage.kind == "won" and lead.closed_at is not None and not sold_otherwise
            for extra in imported[1 if wanted else 0:]:
                db.session.delete(extra)
                counts.removed += 1
            if not wanted:
                continue
            lines = planned_lines(lead)
            header = {"customer_id": lead.customer_id, "seller_id": lead.seller_id,
                      "ordered_on": lead.closed_at.date(), "subtotal": deal_amount(lead), "tax_total": ZERO,
                      "total": deal_amount(lead)}
            if not imported:
                planned.append((lead, header, lines))
                continue
            order = imported[0]
            changed = False
            for attr, value in header.items():
                if getattr(order, attr) != value:
                    setattr(order, attr, value)
                    changed = True
            if _signature(order) != lines:
                order.lines = [_line(position, line) for position, line in enumerate(lines)]
                changed = True
            if changed:
                order.updated_at, order.updated_by_id = now, importer.id
                order.version = (order.version or 1) + 1
                counts.updated += 1
    db.session.flush()
    _insert(planned, importer, now)
    counts.created += len(planned)
    return counts


def _line(position, line):
    product_id, description, quantity, unit_price, total, warranty = line
    return OrderLine(position=position, product_id=product_id, description=description, quantity=quantity,
                     unit_price=unit_price, discount_percent=ZERO, tax_rate=ZERO, line_total=total,
                     warranty_months=warranty)


def _insert(planned, importer, now):
    """The new orders, numbered in the shop's series of their own year (O-2017-0001…), with their lines."""
    if not planned:
        return
    from sales.leads.imports import _audit_created, _tracked

    planned.sort(key=lambda item: (item[1]["ordered_on"], item[0].id))
    by_year = defaultdict(list)
    for item in planned:
        by_year[item[1]["ordered_on"].year].append(item)
    numbers = {}
    for year, items in sorted(by_year.items()):
        for item, number in zip(items, next_numbers("order", "O", year, len(items))):
            numbers[item[0].id] = number
    rows = [{"number": numbers[lead.id], "lead_id": lead.id, "currency": "EUR", "imported": True,
             "notes": None, **header, **_tracked(importer, now)} for lead, header, _lines in planned]
    ids = insert_returning_ids(Order.__table__, rows)
    _audit_created("orders", ids, importer, now)
    lines = []
    for order_id, (_lead, _header, planned_lines_) in zip(ids, planned):
        for position, (product_id, description, quantity, unit_price, total, warranty) in enumerate(planned_lines_):
            lines.append({"order_id": order_id, "position": position, "product_id": product_id,
                          "description": description, "quantity": quantity, "unit_price": unit_price,
                          "discount_percent": ZERO, "tax_rate": ZERO, "line_total": total,
                          "warranty_months": warranty, "serial_number": None})
    if lines:
        db.session.execute(OrderLine.__table__.insert(), lines)

