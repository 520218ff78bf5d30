"""What the shop holds, as tables in the columns its imports read: export one shop, import into another, and every
report shows the same figures. One plain function per kind, each returning (header, rows) — the CSV downloads
use them, and so can a whole-shop export.

Dates are ISO (2017-03-01), so they never read two ways; amounts are plain decimals; stages, sellers, products,
sources and lost reasons are named as the value mapping matches them.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from models import Customer, Lead, LeadProduct, Product, User
from sales.negotiation.forms import LOST_REASON_NAMES


def deal_id(lead):
    """The deal's ID in an export: the one it was imported with, else one made from its own number."""
    return lead.external_id or f"mostrador-{lead.id}"


def deal_rows(statement=None):
    """(header, rows) of deals with their dates, products, stage, amounts and seller, and the owner's custom fields
    of leads (one column each, named by its label, values in their stored form)."""
    from sales.custom_fields import all_fields

    statement = statement if statement is not None else select(Lead).order_by(Lead.id)
    leads = db.session.scalars(statement.options(
        joinedload(Lead.customer), joinedload(Lead.seller), joinedload(Lead.stage),   # as rules.lead_statement
        selectinload(Lead.products).selectinload(LeadProduct.product))).all()
    header = [_("Deal ID"), _("Customer"), _("Email"), _("Phone"), _("City"), _("Title"), _("Products"),
              _("Quantity"), _("Estimated value"), _("Won amount"), _("Created on"), _("Closed on"), _("Stage"),
              _("Lost reason"), _("Source"), _("Seller"), _("Notes")]
    fields = all_fields("lead")
    header += [f.label for f in fields]
    rows = []
    for lead in leads:
        quantities = {str(p.quantity.normalize()) for p in lead.products}
        closed = lead.closed_at.date() if lead.closed_at else None
        rows.append((deal_id(lead), lead.customer.name, lead.customer.email, lead.customer.mobile or lead.customer.phone,
                     lead.customer.city, lead.title, "; ".join(p.product.name for p in lead.products),
                     quantities.pop() if len(quantities) == 1 else "", lead.estimated_value, lead.won_amount,
                     lead.created_at.date(), closed or lead.expected_close_date, lead.stage.name,
                     str(LOST_REASON_NAMES.get(lead.lost_reason, "")) if lead.lost_reason else "",
                     lead.source, lead.seller.name if lead.seller else "", lead.description,
                     *[(lead.custom or {}).get(f.key, "") for f in fields]))
    return header, rows


def user_rows():
    """(header, rows) of the staff: name, email (may be empty), role, in the columns the user import reads."""
    users = db.session.scalars(select(User).order_by(User.name, User.id)).all()
    return [_("Name"), _("Email"), _("Role")], [(u.name, u.email or "", u.role) for u in users]


def product_rows():
    """(header, rows) of the catalog, in the columns the catalog import reads."""
    products = db.session.scalars(select(Product).order_by(Product.code)).all()
    header = ["code", "name", "category", "unit", "unit_price", "tax_rate", "warranty_months", "stock", "active",
              "description"]
    return header, [(p.code, p.name, p.category, p.unit, p.unit_price, p.tax_rate, p.warranty_months,
                     p.stock_on_hand, "1" if p.active else "0", p.description) for p in products]


# The customer columns, named in the reader's language; the customer import knows each name in every language.
CUSTOMER_COLUMNS = (("external_id", _l("Customer ID")), ("name", _l("Name")), ("kind", _l("Kind")),
                    ("contact_person", _l("Contact person")), ("tax_id", _l("Tax ID")), ("email", _l("Email")),
                    ("phone", _l("Phone")), ("mobile", _l("Mobile")), ("street", _l("Street")),
                    ("postal_code", _l("Postal code")), ("city", _l("City")), ("region", _l("Region")),
                    ("country", _l("Country")), ("language", _l("Language")), ("notes", _l("Notes")))


def customer_rows():
    """(header, rows) of the customers with their contact details and the owner's custom fields (one column
    each, named by its label, values as the import reads them). The language is its code ("de"); empty: the
    shop's."""
    from sales.custom_fields import all_fields

    customers = db.session.scalars(select(Customer).order_by(Customer.id)).all()
    fields = all_fields("customer")
    header = [str(label) for _attr, label in CUSTOMER_COLUMNS] + [f.label for f in fields]

    def value(customer, attr):
        if attr == "external_id":
            return customer.external_id or f"mostrador-{customer.id}"
        return getattr(customer, attr)

    return header, [(*[value(c, attr) for attr, _label in CUSTOMER_COLUMNS],
                     *[(c.custom or {}).get(f.key, "") for f in fields]) for c in customers]
