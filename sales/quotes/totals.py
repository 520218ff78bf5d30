"""Money on quotations, computed with Decimal.

The rule, the same on screen, on paper and in the database:
- a line's net = quantity × unit price × (1 − discount/100), rounded half-up to cents;
- a line's tax = net × tax rate/100, rounded half-up to cents;
- subtotal = sum of the nets; tax = sum of the line taxes; total = subtotal + tax.
Rounding each line (not the document) makes every printed line add up to the printed totals.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal


def line_amounts(quantity, unit_price, discount_percent=Decimal("0"), tax_rate=Decimal("0")) -> LineAmounts:
    quantity, unit_price = Decimal(quantity), Decimal(unit_price)
    discount_percent, tax_rate = Decimal(discount_percent or 0), Decimal(tax_rate or 0)
    net = cents(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)
    return LineAmounts(net=net, tax=cents(net * tax_rate / HUNDRED))


def document_totals(lines):
    """(subtotal, tax, total) of LineAmounts."""
    subtotal = sum((line.net for line in lines), Decimal("0.00"))
    tax = sum((line.tax for line in lines), Decimal("0.00"))
    return subtotal, tax, subtotal + tax
