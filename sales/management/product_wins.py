"""Wins per product: for a period (and optionally one seller), the deals won with each product, their value and
the product's win rate, and the same per category.

A deal counts for every product it names (lead_products), in the period its own close date falls in. Its value
is shared between its products in proportion to list price × quantity (equally when the products have no
price), so the products' values add up to the deals' total. Values are summed per currency (a deal's is that of the
order it became, sales.figures.deal_currency), never converted.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from sqlalchemy import func, select

from extensions import db
from models import Lead, LeadProduct, PipelineStage, Product
from sales import figures
from sales.money import Amounts

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass
class ProductWins:
    key: object               # a product id, or a category name (None: no category)
    name: str
    category: Optional[str] = None
    won: int = 0
    lost: int = 0
    value: Amounts = field(default_factory=Amounts)

    @property
    def win_rate(self) -> Optional[float]:
        closed = self.won + self.lost
        return self.won / closed if closed else None


def _closed_deals(period, seller_id, seller_ids=None):
    """(lead id, kind, currency, won amount, product id, quantity, list price) of the deals closed in the period;
    of one seller's, or of `seller_ids` (None among them: the deals with no seller)."""
    from sales.management.scope import among

    statement = (select(Lead.id, PipelineStage.kind, figures.deal_currency(), figures.deal_revenue(),
                        LeadProduct.product_id, LeadProduct.quantity, Product.unit_price)
                 .join(PipelineStage, PipelineStage.id == Lead.stage_id)
                 .join(LeadProduct, LeadProduct.lead_id == Lead.id)
                 .join(Product, Product.id == LeadProduct.product_id)
                 .where(PipelineStage.kind != "open", Lead.closed_at >= period.starts_at,
                        Lead.closed_at < period.ends_at))
    if seller_id is not None:
        statement = statement.where(Lead.seller_id == seller_id)
    if seller_ids is not None:
        statement = statement.where(among(Lead.seller_id, seller_ids))
    return db.session.execute(statement)


def _shares(lines):
    """Each product line's part of the deal's value: by list price × quantity, rounded so they add up."""
    amount = Decimal(str(lines[0][0]))
    weights = [Decimal(str(price or 0)) * Decimal(str(quantity or 1)) for _a, _p, quantity, price in lines]
    total = sum(weights, ZERO)
    if not total:
        weights, total = [Decimal(1)] * len(lines), Decimal(len(lines))
    parts = [(amount * weight / total).quantize(CENT, ROUND_HALF_UP) for weight in weights]
    parts[-1] += amount - sum(parts, ZERO)
    return parts


def wins_per_product(period, seller_id=None):
    """(per product, per category): lists of ProductWins, most won value first."""
    products, categories, _total = product_wins_report(period, seller_id)
    return products, categories


def product_wins_report(period, seller_id=None, seller_ids=None):
    """(per product, per category, all of them): the two lists, and the deals with products counted once each —
    a deal with two products is one win in the total, though it is a win in both products' rows."""
    deals = defaultdict(lambda: {"kind": None, "currency": None, "lines": []})
    for lead_id, kind, currency, amount, product_id, quantity, price in _closed_deals(period, seller_id, seller_ids):
        deals[lead_id]["kind"], deals[lead_id]["currency"] = kind, currency
        deals[lead_id]["lines"].append((amount, product_id, quantity, price))
    products = {p.id: p for p in db.session.scalars(select(Product))}
    by_product, by_category = {}, {}
    for deal in deals.values():
        parts = _shares(deal["lines"]) if deal["kind"] == "won" else [ZERO] * len(deal["lines"])
        counted_categories = set()
        for (_amount, product_id, _quantity, _price), part in zip(deal["lines"], parts):
            product = products[product_id]
            row = by_product.setdefault(product_id, ProductWins(product_id, product.name, product.category))
            group = by_category.setdefault(product.category, ProductWins(product.category, product.category or ""))
            if deal["kind"] == "won":
                row.won += 1
                row.value += Amounts.of(part, deal["currency"])
                group.value += Amounts.of(part, deal["currency"])
            else:
                row.lost += 1
            if product.category not in counted_categories:  # a deal counts once per category it touches
                counted_categories.add(product.category)
                if deal["kind"] == "won":
                    group.won += 1
                else:
                    group.lost += 1
    total = ProductWins(None, "")
    for deal in deals.values():
        if deal["kind"] == "won":
            total.won += 1
            total.value += Amounts.of(Decimal(str(deal["lines"][0][0])), deal["currency"])
        else:
            total.lost += 1
    order = lambda row: (row.value.sort_key(), -row.won, row.name)  # noqa: E731
    return sorted(by_product.values(), key=order), sorted(by_category.values(), key=order), total
