"""Customer rules: searching, saving from a form, and spotting an edit that collides with another one."""
import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Customer, Tag, User, customer_tags, utcnow
from sales import phones
from sales.customers.forms import split_tags
from sales.search_index import matching

EDITABLE_FIELDS = ("kind", "name", "contact_person", "email", "phone", "mobile", "tax_id", "street",
                   "postal_code", "city", "region", "country", "owner_id", "language", "notes")
SHOW_CHOICES = ("active", "archived", "all")


def search_statement(text="", tag="", show="active"):
    """A select() of customers matching the search box (name, email, phone, tag) and filters."""
    statement = select(Customer).options(selectinload(Customer.tags), selectinload(Customer.owner))
    if show == "active":
        statement = statement.where(Customer.archived_at.is_(None))
    elif show == "archived":
        statement = statement.where(Customer.archived_at.is_not(None))
    text = (text or "").strip()
    if text:
        conditions = [Customer.id.in_(_customers_tagged(text.lower()))]
        found = matching("customer", text)
        if found is not None:
            conditions.append(Customer.id.in_(found))
        digits = phones.digits_to_search(text)
        if len(digits) >= 3 and not re.search(r"[^\d\s+()./-]", text):
            conditions.append(Customer.phone_digits.like(f"%{digits}%"))
        statement = statement.where(or_(*conditions))
    if tag:
        statement = statement.where(Customer.id.in_(_customers_tagged(tag.lower())))
    return statement.order_by(Customer.name, Customer.id)


def _customers_tagged(name):
    # IN (ids with the tag) walks the tag's index once; EXISTS per customer row would scan them all.
    return select(customer_tags.c.customer_id).join(Tag).where(Tag.name == name)


def popular_tags(limit=12):
    rows = db.session.execute(
        select(Tag.name, func.count()).join(customer_tags).group_by(Tag.name)
        .order_by(func.count().desc(), Tag.name).limit(limit)
    ).all()
    return [name for name, _count in rows]


def staff_choices(user, customer=None):
    """Who `user` may choose as "looked after by" (sales/records.py decides: no taking over another seller's
    customer)."""
    from sales.records import keeper_choices

    return keeper_choices(user, customer, staff_people())


def staff_people():
    """The people who may look after a customer: the active owner and sellers."""
    return db.session.scalars(select(User).where(User.active, User.role.in_(("owner", "seller")))
                              .order_by(User.name)).all()


def tags_by_name(names):
    if not names:
        return []
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    return [existing.get(name) or Tag(name=name) for name in names]


def form_values(form):
    """What the person typed, cleaned the way it will be stored."""
    values = {}
    for field in EDITABLE_FIELDS:
        value = getattr(form, field).data
        if isinstance(value, str):
            value = value.strip() or None
        values[field] = value
    values["owner_id"] = values["owner_id"] or None
    values["email"] = values["email"].lower() if values["email"] else None
    values["tags"] = split_tags(form.tags.data)
    return values


def apply_values(customer, values):
    for field in EDITABLE_FIELDS:
        setattr(customer, field, values[field])
    customer.tags = tags_by_name(values["tags"])
    customer.refresh_phone_digits()


def conflicting_fields(customer, values):
    """Fields where the saved record and what this person typed differ: (field, saved, typed)."""
    differences = []
    for field in EDITABLE_FIELDS:
        saved = getattr(customer, field)
        if (saved or None) != values[field]:
            differences.append((field, saved, values[field]))
    if customer.tag_names != sorted(values["tags"]) and customer.tag_names != values["tags"]:
        differences.append(("tags", ", ".join(customer.tag_names), ", ".join(values["tags"])))
    return differences


def archive(customer):
    customer.archived_at = utcnow()


def restore(customer):
    customer.archived_at = None
