"""Every record's history, read back for people: the audit log (models.AuditLog, one row per changed field)
turned into "Price 39,00 € → 35,00 €".

The log stores text as the database had it ("39.00", "2026-03-01", "7" for a seller's id). Here each field of
each kind of record gets the label its form shows and a kind (money, date, a person…); the value goes back to a
Decimal, a date or a name, and the templates format it in the reader's language (templates/history/).
A field not listed here is bookkeeping (a computed priority, a token) and is not shown. A field that points at
another record shows that record's name only to someone who may open it (sales/records.py decides).
"""
import ast
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from extensions import db
from models import AuditLog

# The shop's settings have no row id of their own: their changes are logged under this one.
SETTINGS_ID = 0


@dataclass(frozen=True)
class Field:
    label: Any
    kind: str = "text"      # text, longtext, money, number, percent, date, datetime, bool, choice, ref, custom, names,
                            # languages (a comma list of codes)
    names: Any = None       # choice: {stored value: label}, or a callable giving that mapping
    ref: Any = None         # ref: the model the id points at


@dataclass
class Change:
    at: datetime
    who: Optional[str]
    action: str             # create, update
    label: Any = None
    kind: str = "text"
    old: Any = None
    new: Any = None
    currency: Optional[str] = None
    subject: Optional[str] = None   # which part of the record, when it is not the record itself ("Revision 2")


def _choices(module, name):
    """A form's {value: label} mapping, looked up when first needed (forms import this module's neighbours)."""
    def names():
        import importlib

        return dict(getattr(importlib.import_module(module), name))
    return names


def _fields():
    from models import Competitor, Customer, Lead, PipelineStage, User

    stage_kinds = {"open": _l("Open (deal in progress)"), "won": _l("Won"), "lost": _l("Lost")}
    return {
        "customers": {
            "kind": Field(_l("Kind"), "choice", _choices("sales.customers.forms", "KIND_CHOICES")),
            "name": Field(_l("Name")), "contact_person": Field(_l("Contact person")), "tax_id": Field(_l("Tax ID")),
            "email": Field(_l("Email")), "phone": Field(_l("Phone"), "phone"), "mobile": Field(_l("Mobile"), "phone"),
            "street": Field(_l("Street")), "postal_code": Field(_l("Postal code")), "city": Field(_l("City")),
            "region": Field(_l("Region")), "country": Field(_l("Country")), "notes": Field(_l("Notes"), "longtext"),
            "owner_id": Field(_l("Looked after by"), "ref", ref=User), "archived_at": Field(_l("Archived"), "datetime"),
            "email_opt_in": Field(_l("Agrees to receive our mailings by email"), "bool"),
            "unsubscribed_at": Field(_l("Unsubscribed from mailings"), "datetime"),
            "external_id": Field(_l("ID in the imported file")), "tags": Field(_l("Tags")),
            "language": Field(_l("Language"), "choice", _choices("sales.languages", "NAMES")),
            "custom": Field(None, "custom"),
        },
        "leads": {
            "title": Field(_l("Title")), "customer_id": Field(_l("Customer"), "ref", ref=Customer),
            "source": Field(_l("Source"), "choice", _choices("sales.leads.forms", "SOURCE_NAMES")),
            "estimated_value": Field(_l("Estimated value"), "money"),
            "expected_close_date": Field(_l("Expected close date"), "date"),
            "seller_id": Field(_l("Seller"), "ref", ref=User), "stage_id": Field(_l("Stage"), "ref", ref=PipelineStage),
            "description": Field(_l("Description"), "longtext"),
            "need_rating": Field(_l("Need"), "choice", _choices("sales.leads.forms", "RATING_CHOICES")),
            "need_note": Field(_l("Note on need")),
            "buying_power_rating": Field(_l("Buying power"), "choice", _choices("sales.leads.forms", "RATING_CHOICES")),
            "buying_power_note": Field(_l("Note on buying power")),
            "receptivity_rating": Field(_l("Receptivity"), "choice", _choices("sales.leads.forms", "RATING_CHOICES")),
            "receptivity_note": Field(_l("Note on receptivity")),
            "access_rating": Field(_l("Ease of access"), "choice", _choices("sales.leads.forms", "RATING_CHOICES")),
            "access_note": Field(_l("Note on access")),
            "qualification": Field(_l("Decision"), "choice", _choices("sales.leads.forms", "QUALIFICATION_CHOICES")),
            "qualification_reason": Field(_l("Reason")),
            "competitor_involved": Field(_l("A competitor is also offering"), "bool"),
            "competitor_note": Field(_l("Competitor")), "decision_deadline": Field(_l("Decision deadline"), "date"),
            "closed_at": Field(_l("Closed"), "datetime"), "close_reason": Field(_l("In a few words")),
            "won_amount": Field(_l("Amount won"), "money"),
            "lost_reason": Field(_l("Why was it lost?"), "choice",
                                 _choices("sales.negotiation.forms", "LOST_REASON_NAMES")),
            "lost_to_id": Field(_l("Lost to"), "ref", ref=Competitor),
            "external_id": Field(_l("ID in the imported file")), "custom": Field(None, "custom"),
        },
        "quotes": {
            "customer_id": Field(_l("Customer"), "ref", ref=Customer), "lead_id": Field(_l("Lead"), "ref", ref=Lead),
            "seller_id": Field(_l("Seller"), "ref", ref=User),
        },
        "quote_revisions": {
            "status": Field(_l("Status"), "choice", _quote_statuses),
            "valid_until": Field(_l("Valid until"), "date"), "need": Field(_l("The need we understood"), "longtext"),
            "solution": Field(_l("The solution we propose"), "longtext"),
            "benefits": Field(_l("What the customer gains"), "longtext"), "terms": Field(_l("Terms"), "longtext"),
            "notes": Field(_l("Notes"), "longtext"), "subtotal": Field(_l("Total before tax"), "money"),
            "tax_total": Field(_l("Tax"), "money"), "total": Field(_l("Total"), "money"),
            "sent_at": Field(_l("Sent"), "datetime"), "decided_at": Field(_l("Decided"), "datetime"),
            "decided_by_name": Field(_l("Decided by")), "decline_reason": Field(_l("Reason")),
        },
        "orders": {
            "customer_id": Field(_l("Customer"), "ref", ref=Customer), "lead_id": Field(_l("Lead"), "ref", ref=Lead),
            "seller_id": Field(_l("Seller"), "ref", ref=User), "ordered_on": Field(_l("Ordered on"), "date"),
            "delivered_on": Field(_l("Delivered on"), "date"), "subtotal": Field(_l("Total before tax"), "money"),
            "tax_total": Field(_l("Tax"), "money"), "total": Field(_l("Total"), "money"),
            "notes": Field(_l("Notes"), "longtext"),
        },
        "tickets": {
            "customer_id": Field(_l("Customer"), "ref", ref=Customer), "serial_number": Field(_l("Serial number")),
            "kind": Field(_l("Type"), "choice", _choices("sales.support.forms", "KIND_NAMES")),
            "priority": Field(_l("Priority"), "choice", _choices("sales.support.forms", "PRIORITY_NAMES")),
            "status": Field(_l("Status"), "choice", _choices("sales.support.forms", "STATUS_NAMES")),
            "title": Field(_l("Title")), "description": Field(_l("Description"), "longtext"),
            "assignee_id": Field(_l("Assigned to"), "ref", ref=User), "due_at": Field(_l("Due"), "datetime"),
            "resolved_at": Field(_l("Resolved"), "datetime"), "closed_at": Field(_l("Closed"), "datetime"),
            "warranty_override": Field(_l("Warranty decision"), "choice",
                                       {"covered": _l("Covered"), "billable": _l("Billable")}),
            "warranty_override_reason": Field(_l("Reason")),
            "root_cause": Field(_l("Root cause"), "choice", _choices("sales.support.forms", "ROOT_CAUSE_NAMES")),
            "resolution": Field(_l("Resolution"), "longtext"),
            "order_line_id": Field(_l("Product sold"), "order_line"),
        },
        "products": {
            "code": Field(_l("Code")), "name": Field(_l("Name")), "description": Field(_l("Description"), "longtext"),
            "is_service": Field(_l("Service"), "bool"), "unit": Field(_l("Unit")),
            "unit_price": Field(_l("Price"), "money"), "tax_rate": Field(_l("Tax %"), "percent"),
            "category": Field(_l("Category")), "active": Field(_l("In the catalog"), "bool"),
            "stock_on_hand": Field(_l("Stock on hand"), "number"),
            "warranty_months": Field(_l("Warranty (months)"), "number"),
            "competitor_note": Field(_l("Against competitors' offers"), "longtext"),
        },
        "users": {
            "name": Field(_l("Name")), "email": Field(_l("Email")),
            "role": Field(_l("Role"), "choice", _choices("sales.users.forms", "ROLE_CHOICES")),
            "active": Field(_l("Active (can sign in)"), "bool"),
            "language": Field(_l("Language"), "choice", _choices("sales.accounts.forms", "LANGUAGE_CHOICES")),
        },
        "campaigns": {
            "name": Field(_l("Name")), "channel": Field(_l("Channel"), "choice",
                                                        _choices("sales.messaging.forms", "CHANNEL_CHOICES")),
            "subject": Field(_l("Subject")), "body": Field(_l("Message"), "longtext"),
            "filters": Field(_l("Audience")), "follow_days": Field(_l("Count sales within (days)"), "number"),
            "language": Field(_l("Written in"), "choice", _choices("sales.languages", "NAMES")),
            "versions": Field(_l("In other languages"), "longtext"),
            "fallback_language": Field(_l("Readers of other languages get"), "choice",
                                       _choices("sales.languages", "NAMES")),
            "status": Field(_l("Status"), "choice",
                            {"draft": _l("Draft"), "sending": _l("Sending"), "done": _l("Sent")}),
            "started_at": Field(_l("Started"), "datetime"), "finished_at": Field(_l("Finished"), "datetime"),
        },
        "pipeline_stages": {
            "name": Field(_l("Stage name")), "names": Field(_l("Stage name"), "names"),
            "position": Field(_l("Position"), "number"),
            "kind": Field(_l("Kind"), "choice", stage_kinds), "active": Field(_l("In use"), "bool"),
        },
        "shop_settings": {
            "shop_name": Field(_l("Shop name")), "shop_address": Field(_l("Address"), "longtext"),
            "shop_tax_id": Field(_l("Tax ID")), "currency": Field(_l("Currency")),
            "quote_validity_days": Field(_l("Quotes are valid for (days)"), "number"),
            "quote_terms": Field(_l("Standard terms"), "longtext"), "shop_logo": Field(_l("Logo"), "image"),
            "sellers_see_all_leads": Field(_l("Sellers can see every seller's leads (they still change only their own)"),
                                     "flag"),
            "managers_see_other_teams": Field(_l("Team managers can see other teams' customers, leads, quotes, "
                                                 "tickets and figures (they still change only their own team's)"),
                                              "flag"),
            "web_form_sites": Field(_l("Sites that may show the web form")),
            "public_base_url": Field(_l("The shop's web address")),
            "languages": Field(_l("Languages the shop offers"), "languages"),
            "shop_language": Field(_l("The shop's language"), "choice", _choices("sales.languages", "NAMES")),
            **{f"support.sla_hours.{p}": Field(_l("Hours to resolve, %(priority)s", priority=name), "number")
               for p, name in (("urgent", _l("Urgent")), ("high", _l("High")), ("normal", _l("Normal")),
                               ("low", _l("Low")))},
        },
    }


# The fields of a quotation's line, as the revision diff names them.
QUOTE_LINE_FIELDS = {
    "description": Field(_l("Description")), "quantity": Field(_l("Quantity"), "number"),
    "unit_price": Field(_l("Price"), "money"), "discount_percent": Field(_l("Discount"), "percent"),
    "tax_rate": Field(_l("Tax %"), "percent"), "net": Field(_l("Amount before tax"), "money"),
}
QUOTE_TOTAL_FIELDS = {
    "subtotal": Field(_l("Total before tax"), "money"), "tax_total": Field(_l("Tax"), "money"),
    "total": Field(_l("Total"), "money"),
}


def _quote_statuses():
    from flask import current_app

    return current_app.jinja_env.globals["quote_status_names"]


_FIELDS = None


def fields_of(entity):
    global _FIELDS
    if _FIELDS is None:
        _FIELDS = _fields()
    return _FIELDS.get(entity, {})


# What each kind of record's page shows: its own log, and the parts that belong to it (a quote's revisions).
def _parts(record):
    from models import Quote

    if isinstance(record, Quote):
        return [(r.__tablename__, r.id, r) for r in record.revisions]
    return []


def changes_of(record, user, limit=50):
    """The readable changes of `record` that `user` may read, newest first (none if they may not see it)."""
    from sales import records

    if not records.may_read_history(user, record):
        return []
    sources = [(record.__tablename__, record.id, record)] + _parts(record)
    condition = or_(*[(AuditLog.entity == kind) & (AuditLog.entity_id == row_id) for kind, row_id, _r in sources])
    return _entries(condition, {(kind, row_id): row for kind, row_id, row in sources}, record, user, limit)


def settings_changes(user, keys, kinds=(), limit=50):
    """The changes of the shop settings a page saves (`keys`), and of every row of the owner's lists it keeps
    there (`kinds`: "pipeline_stages"), for the settings pages."""
    from sales import records

    if not records.may_read_history(user, None, settings=True):
        return []
    condition = or_((AuditLog.entity == "shop_settings") & (AuditLog.entity_id == SETTINGS_ID)
                    & AuditLog.field.in_(tuple(keys)), AuditLog.entity.in_(tuple(kinds)))
    return _entries(condition, {}, None, user, limit)


def _entries(condition, parts, record, user, limit):
    statement = (select(AuditLog).options(joinedload(AuditLog.user)).where(condition)
                 .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit))
    rows = db.session.scalars(statement).all()
    resolver = _Resolver(user)
    entries = []
    for row in rows:
        part = parts.get((row.entity, row.entity_id)) or _own_list_row(row, resolver)
        for change in _read(row, part, record, resolver):
            # One save is one entry: the fields a person changed at once are listed together.
            last = entries[-1] if entries else None
            if last and (last.at, last.who, last.subject) == (change.at, change.who, change.subject) \
                    and not last.created and change.action == "update":
                last.fields.append(change)
            elif change.action == "create":
                entries.append(Entry(change.at, change.who, change.subject, created=True))
            else:
                entries.append(Entry(change.at, change.who, change.subject, fields=[change]))
    for entry in entries:
        entry.fields.reverse()      # within one save, in the order the log wrote them
    return entries


@dataclass
class Entry:
    at: datetime
    who: Optional[str]
    subject: Optional[str] = None
    created: bool = False
    fields: list = dataclass_field(default_factory=list)


def _currency_of(part, record):
    for thing in (part, record):
        currency = getattr(thing, "currency", None)
        if currency:
            return currency
    if getattr(record, "revisions", None):
        return record.revisions[-1].currency
    return None


def _own_list_row(row, resolver):
    """On a settings page, the stage a change was made to (its name says which)."""
    from models import PipelineStage

    if row.entity == "pipeline_stages":
        return resolver.record(PipelineStage, str(row.entity_id))
    return None


def _subject_of(row, part, record):
    from flask_babel import gettext as _

    if part is None or part is record:
        return None
    if row.entity == "quote_revisions":
        return _("Revision %(n)d", n=part.number)
    if row.entity == "pipeline_stages":
        return _("Stage “%(name)s”", name=part.shown_name)
    return None


def _read(row, part, record, resolver):
    who = row.user.name if row.user else None
    subject = _subject_of(row, part, record)
    if row.action == "create":
        # A record made with an earlier date (an import, the demo's history) was created then, not when logged.
        made = getattr(part if part is not None else record, "created_at", None)
        return [Change(made if made and made < row.at else row.at, who, "create", subject=subject)]
    field = fields_of(row.entity).get(row.field)
    if field is None:
        return []       # bookkeeping: not something a person reads
    currency = _currency_of(part, record)
    if field.kind == "custom":
        return [Change(row.at, who, "update", label, "text", old, new, subject=subject)
                for label, old, new in _custom_changes(row, record)]
    if field.kind == "names":
        return [Change(row.at, who, "update", label, "text", old, new, subject=subject)
                for label, old, new in _name_changes(row)]
    if field.kind == "image":
        return [Change(row.at, who, "update", field.label, "image", bool(row.old_value), bool(row.new_value),
                       subject=subject)]
    old, new = (resolver.value(field, text) for text in (row.old_value, row.new_value))
    # Names of people, stages and choices are already words: shown as text.
    kind = "text" if field.kind in ("ref", "choice", "order_line", "flag", "languages") else field.kind
    return [Change(row.at, who, "update", field.label, kind, old, new, currency, subject)]


class _Resolver:
    """Stored text back to a value; ids of other records back to names the reader may see."""

    def __init__(self, user):
        self.user = user
        self.cache = {}

    def value(self, field, text):
        if text is None or text == "":
            return None
        kind = field.kind
        try:
            if kind == "money" or kind == "percent" or kind == "number":
                return Decimal(text)
            if kind == "date":
                return date.fromisoformat(text[:10])
            if kind == "datetime":
                return datetime.fromisoformat(text)
        except (ValueError, InvalidOperation):
            return text
        if kind == "bool":
            return text == "True"
        if kind == "flag":
            return self._yes_no(text == "1")
        if kind == "choice":
            names = field.names() if callable(field.names) else field.names
            return names.get(text, text)
        if kind == "ref":
            return self._name(field.ref, text)
        if kind == "languages":
            from sales.languages import language_name

            return ", ".join(language_name(code) for code in text.split(","))
        if kind == "order_line":
            return self._order_line(text)
        return text

    @staticmethod
    def _yes_no(value):
        from flask_babel import gettext as _

        return _("Yes") if value else _("No")

    def record(self, model, text):
        try:
            key = (model, int(text))
        except ValueError:
            return None
        if key not in self.cache:
            self.cache[key] = db.session.get(model, key[1])
        return self.cache[key]

    def _name(self, model, text):
        from flask_babel import gettext as _

        from models import Competitor, PipelineStage, User
        from sales import records

        record = self.record(model, text)
        if record is None:
            return _("(deleted)")
        # People, stages and competitors are the shop's own lists; customers and leads follow their rule.
        if model not in (User, PipelineStage, Competitor) and not records.may_view(self.user, record):
            return _("(not yours to open)")
        if isinstance(record, PipelineStage):
            return record.shown_name
        return getattr(record, "name", None) or getattr(record, "title", None) or str(record)

    def _order_line(self, text):
        from flask_babel import gettext as _

        from models import OrderLine

        line = self.record(OrderLine, text)
        if line is None:
            return _("(deleted)")
        return f"{line.description} · {line.order.number}"


def _stored_mapping(text):
    """A JSON column's value as the audit log wrote it (its repr) back to a mapping; {} for anything else."""
    try:
        value = ast.literal_eval(text) if text else {}
    except (ValueError, SyntaxError):
        return {}
    return value if isinstance(value, dict) else {}


def _name_changes(row):
    """A row's names per language (sales/list_names.py): one change per language whose name differs, but the
    shop's own, which its `name` column's change already says."""
    from flask_babel import gettext as _

    from sales.languages import available_languages, language_name, shop_language

    old, new = _stored_mapping(row.old_value), _stored_mapping(row.new_value)
    shop = shop_language()
    return [(_("Stage name (%(language)s)", language=language_name(code)), old.get(code), new.get(code))
            for code in available_languages() if code != shop and old.get(code) != new.get(code)]


def _custom_changes(row, record):
    """The owner's own fields are stored as one JSON value: one change per field that differs."""
    from models import CustomField

    old, new = _stored_mapping(row.old_value), _stored_mapping(row.new_value)
    entity = {"customers": "customer", "leads": "lead"}.get(row.entity)
    labels = {f.key: f.label for f in db.session.scalars(select(CustomField).where(CustomField.entity == entity))}
    return [(labels.get(key, key), old.get(key) or None, new.get(key) or None)
            for key in sorted(old.keys() | new.keys()) if (old.get(key) or None) != (new.get(key) or None)]

