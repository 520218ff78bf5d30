"""Reading quotation lines from the form: every problem lands on its own field, nothing typed is lost."""
from decimal import Decimal

from flask_babel import gettext as _

from extensions import db
from models import Product
from sales.quotes.forms import MAX_QUANTITY

MAX_PRICE = Decimal("10000000")
# The amount columns hold 12 digits with 2 decimals: a line or a quotation beyond that cannot be stored.
MAX_TOTAL = Decimal("9999999999.99")


def line_values(product, description, quantity, unit_price, discount_percent, tax_rate):
    """One line as `rules.set_lines` takes it: what was given, and where nothing was, the catalog product's name,
    price and tax (no discount). The form and the API both fill lines this way."""
    return dict(product_id=product.id if product else None,
                description=((description or "").strip() or (product.name if product else ""))[:300],
                quantity=quantity,
                unit_price=unit_price if unit_price is not None else (product.unit_price if product else None),
                discount_percent=discount_percent if discount_percent is not None else Decimal("0"),
                tax_rate=tax_rate if tax_rate is not None else (product.tax_rate if product else Decimal("0")))


def read_lines(form):
    """The filled-in lines as dicts, or None when any line has an error (errors are set on the fields)."""
    rows = [entry.form for entry in form.lines]  # the subform: `entry.description` is the field's own text
    products = {p.id: p for p in db.session.query(Product).filter(
        Product.id.in_([row.product_id.data for row in rows if row.product_id.data]))}
    result, ok = [], True
    for row in rows:
        if row.is_blank():
            continue
        product = products.get(row.product_id.data)
        if row.product_id.data and product is None:
            row.product_id.errors.append(_("This product is no longer in the catalog."))
            ok = False
            continue
        values = line_values(product, row.description.data, row.quantity.data, row.unit_price.data,
                             row.discount_percent.data, row.tax_rate.data)
        description = values["description"]
        if not description:
            row.description.errors.append(_("Choose a product or describe the line."))
            ok = False
        quantity = row.quantity.data
        if quantity is None and not row.quantity.errors:
            row.quantity.errors.append(_("How many?"))
        elif quantity is not None and (quantity <= 0 or quantity > MAX_QUANTITY):
            row.quantity.errors.append(_("The quantity must be more than 0 and at most %(max)s.", max="100.000"))
        price = values["unit_price"]
        if price is None and not row.unit_price.errors:
            row.unit_price.errors.append(_("Write the price."))
        elif price is not None and (price < 0 or price > MAX_PRICE):
            row.unit_price.errors.append(_("The price must be between 0 and 10,000,000."))
        discount = values["discount_percent"]
        if not Decimal("0") <= discount <= Decimal("100"):
            row.discount_percent.errors.append(_("A discount is between 0 and 100 %."))
        tax = values["tax_rate"]
        if not Decimal("0") <= tax <= Decimal("100"):
            row.tax_rate.errors.append(_("A tax rate is between 0 and 100 %."))
        if not any(f.errors for f in (row.quantity, row.unit_price, row.discount_percent, row.tax_rate)) \
                and _gross(values) > MAX_TOTAL:
            row.unit_price.errors.append(_("This line comes to more than a quotation can hold: split it or "
                                           "check the quantity and the price."))
        if any(f.errors for f in (row.product_id, row.description, row.quantity, row.unit_price,
                                  row.discount_percent, row.tax_rate)):
            ok = False
            continue
        result.append(values)
    if ok and not result:
        form.lines.errors.append(_("A quotation needs at least one line."))
        ok = False
    if ok and sum((_gross(values) for values in result), Decimal("0")) > MAX_TOTAL:
        form.lines.errors.append(_("The lines come to more than a quotation can hold: split it into two."))
        ok = False
    return result if ok else None


def _gross(values):
    """A line's amount with its tax, as the totals will hold it (before rounding)."""
    net = values["quantity"] * values["unit_price"] * (100 - values["discount_percent"]) / 100
    return net * (100 + values["tax_rate"]) / 100


def fill_form_lines(form, revision, extra=2):
    """Put a revision's lines into the form, with a few empty rows to add more."""
    while len(form.lines):
        form.lines.pop_entry()
    for line in revision.lines:
        form.lines.append_entry({
            "product_id": line.product_id or 0, "description": line.description, "quantity": line.quantity,
            "unit_price": line.unit_price, "discount_percent": line.discount_percent, "tax_rate": line.tax_rate})
    for _i in range(max(extra, 4 - len(revision.lines))):
        form.lines.append_entry()
