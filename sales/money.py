"""Money in the currency it was made in: a quote, an order or a ticket's charge keeps its own currency, so
switching the shop to another one later never relabels old documents.

Amounts without a document of their own (a lead's value, a goal, a concession) are in the shop's currency.
A figure that adds amounts of several currencies is never one number: `totals_by_currency` keeps them apart.
"""
from collections import defaultdict
from decimal import Decimal

from models import ShopSetting


def shop_currency() -> str:
    """The currency the shop works in now (Quotes → Shop details): what new documents are made in."""
    return ShopSetting.get("currency", "EUR")


def totals_by_currency(pairs) -> list[tuple[str, Decimal]]:
    """[(currency, total)] from (currency, amount) pairs, the shop's own currency first, then alphabetical."""
    totals = defaultdict(lambda: Decimal("0"))
    for currency, amount in pairs:
        totals[currency or shop_currency()] += Decimal(str(amount or 0))
    own = shop_currency()
    return sorted(totals.items(), key=lambda item: (item[0] != own, item[0]))
