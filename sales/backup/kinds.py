"""The whole-shop export's built-in kinds, for the records whose own blueprint registers none (yet).

Each is `default=True`: a blueprint that registers a kind of the same name (with its import's columns, custom
fields and all) replaces it. The column names are those the lead import recognises (sales/leads/imports.py),
so the files go back in.
"""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Customer, Lead, User
from sales.backup.shop_export import export_kind


@export_kind("customers", covers=("customers", "customer_tags", "tags"), default=True)
def customers_table():
    customers = db.session.scalars(select(Customer).options(selectinload(Customer.tags), selectinload(Customer.owner))
                                   .order_by(Customer.id)).all()
    header = ["id", "name", "kind", "contact_person", "tax_id", "email", "phone", "mobile", "street",
              "postal_code", "city", "region", "country", "tags", "seller", "email_opt_in", "archived_on", "notes",
              "created"]
    rows = ((c.id, c.name, c.kind, c.contact_person, c.tax_id, c.email, c.phone, c.mobile, c.street,
             c.postal_code, c.city, c.region, c.country, "; ".join(t.name for t in c.tags),
             c.owner.email if c.owner else "", _yes_no(c.email_opt_in), _iso(c.archived_at.date() if c.archived_at else None),
             c.notes, c.created_at.date().isoformat()) for c in customers)
    return header, rows


@export_kind("users", default=True)
def users_table():
    users = db.session.scalars(select(User).order_by(User.id)).all()
    return (["id", "name", "email", "role", "active", "language"],
            ((u.id, u.name, u.email, u.role, _yes_no(u.active), u.language or "") for u in users))


@export_kind("leads", default=True)
def leads_table():
    """The deals in the columns the deal import reads (dates, products, stage, amounts, seller): sales/exports.py."""
    from sales.exports import deal_rows

    return deal_rows()


def _yes_no(value):
    return "1" if value else "0"


def _iso(value):
    return value.isoformat() if value else ""
