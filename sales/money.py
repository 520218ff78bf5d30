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


class Amounts:
    """Money summed per currency and never converted: what a report cell holds when its rows may span currencies.

    Adds like a number (`a + b`, `sum(..., Amounts())`), so a total row is its rows added up currency by
    currency.
    """

    __slots__ = ("_totals",)

    def __init__(self, pairs=()):
        self._totals: dict[str, Decimal] = {}
        for currency, amount in pairs:
            self._add(currency, amount)

    @classmethod
    def of(cls, amount, currency=None) -> "Amounts":
        return cls([(currency, amount)])

    def _add(self, currency, amount):
        currency = currency or shop_currency()
        self._totals[currency] = self._totals.get(currency, Decimal("0")) + Decimal(str(amount or 0))

    def __add__(self, other):
        total = Amounts(self._totals.items())
        if isinstance(other, Amounts):
            for currency, amount in other._totals.items():
                total._add(currency, amount)
        elif other:
            total._add(None, other)   # a plain amount is in the shop's currency
        return total

    __radd__ = __add__

    def __eq__(self, other):
        if isinstance(other, Amounts):
            return {c: a for c, a in self._totals.items() if a} == {c: a for c, a in other._totals.items() if a}
        if isinstance(other, (int, Decimal)):
            # A plain number equals money held in one currency only (or nothing, for 0).
            held = [amount for amount in self._totals.values() if amount]
            return held == [other] if other else not held
        return NotImplemented

    __hash__ = None

    def _single(self, other) -> Decimal:
        """The amount to compare with a plain number: only money in one currency compares (`revenue > 0`)."""
        held = [amount for amount in self._totals.values() if amount]
        if not isinstance(other, (int, Decimal)) or len(held) > 1:
            raise TypeError("amounts in several currencies are not compared with one number")
        return held[0] if held else Decimal("0")

    def __lt__(self, other):
        return self._single(other) < other

    def __le__(self, other):
        return self._single(other) <= other

    def __gt__(self, other):
        return self._single(other) > other

    def __ge__(self, other):
        return self._single(other) >= other

    def __bool__(self):
        return any(self._totals.values())

    def __repr__(self):
        return f"Amounts({self.items()!r})"

    def items(self) -> list[tuple[str, Decimal]]:
        """(currency, amount) in alphabetical order of the codes, the same in every cell, note and CSV column of
        a report (the shop's own currency changes, the order does not); a currency with nothing in it is left
        out beside others."""
        items = sorted(self._totals.items())
        return [item for item in items if item[1]] or items

    @property
    def currencies(self) -> list[str]:
        return [currency for currency, _amount in self.items()]

    def get(self, currency=None) -> Decimal:
        """The amount in one currency (the shop's by default); zero when there is none in it."""
        return self._totals.get(currency or shop_currency(), Decimal("0"))

    def others(self) -> "Amounts":
        """What is not in the shop's currency: what a goal or a threshold in that currency cannot count."""
        own = shop_currency()
        return Amounts((c, a) for c, a in self._totals.items() if c != own and a)

    def quantize(self, exponent=Decimal("0.01"), rounding=None) -> "Amounts":
        return Amounts((c, a.quantize(exponent, rounding=rounding) if rounding else a.quantize(exponent))
                       for c, a in self._totals.items())

    def divided(self, counts: dict) -> "Amounts":
        """Each currency's amount over its own count (an average deal per currency); none where the count is 0."""
        return Amounts((c, (a / counts[c]).quantize(Decimal("0.01"))) for c, a in self._totals.items()
                       if counts.get(c))

    def sort_key(self):
        """Largest first in the shop's currency, then by the others (never added together): for `sorted(key=…)`."""
        return (-self.get(), tuple((currency, -amount) for currency, amount in self.others().items()))


def spelled(amounts: Amounts) -> str:
    """Amounts as text in the reader's notation, one per currency: "€1.200,00 · $300,00"."""
    from flask_babel import format_currency

    items = amounts.items() or [(shop_currency(), Decimal("0"))]
    return " · ".join(format_currency(amount.quantize(Decimal("0.01")), currency) for currency, amount in items)
