"""CSV import of leads: read any spreadsheet export, map its columns, check every row, then import the good
rows in one transaction. Problems are reported by line and field; a row is imported whole or not at all.

The checking runs in chunks, each a request, so a big file shows progress and any app server can continue.
"""
import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import func, select

from extensions import db
from models import Customer, Lead, StageChange, User, utcnow
from sales.leads.forms import SOURCE_CHOICES
from sales.leads.priority import LeadFacts, priority_of
from sales.leads.stages import active_stages, ensure_default_stages
from sales.numbers import parse_amount, shop_file_locale

MAX_BYTES = 8 * 1024 * 1024
CHUNK = 2000

# Target fields and the header words that suggest them (English and Spanish exports).
TARGETS = (
    ("customer", ("customer", "cliente", "account", "cuenta", "company", "empresa", "name", "nombre")),
    ("email", ("email", "e-mail", "correo", "mail")),
    ("phone", ("phone", "teléfono", "telefono", "tel", "mobile", "móvil", "movil")),
    ("city", ("city", "ciudad", "localidad", "town")),
    ("title", ("title", "título", "titulo", "opportunity", "oportunidad", "product", "producto", "interest")),
    ("value", ("value", "valor", "amount", "importe", "close_value", "price", "precio")),
    ("close_date", ("close_date", "close date", "expected close", "cierre", "fecha cierre")),
    ("stage", ("stage", "etapa", "deal_stage", "status", "estado")),
    ("source", ("source", "origen", "fuente")),
    ("seller", ("seller", "vendedor", "sales_agent", "agent", "owner", "comercial")),
    ("notes", ("notes", "notas", "description", "descripción", "comments")),
)
REQUIRED = ("customer", "title")
DATE_FORMATS = {"dmy": "%d/%m/%Y", "mdy": "%m/%d/%Y", "ymd": "%Y-%m-%d"}
SOURCE_WORDS = {value: value for value, _label in SOURCE_CHOICES}
SOURCE_WORDS.update({"walk-in": "walk_in", "web": "web_form", "website": "web_form", "referido": "referral",
                     "telefono": "phone", "teléfono": "phone", "campaña": "campaign", "tienda": "walk_in"})


class ImportError_(ValueError):
    """The file itself cannot be read (not its rows)."""


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ImportError_(_("The file is larger than %(mb)d MB. Split it into smaller files.",
                             mb=MAX_BYTES // (1024 * 1024)))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def read_rows(text):
    """(header, rows) with the delimiter sniffed: spreadsheets in Spanish often export with semicolons."""
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [row for row in reader]
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise ImportError_(_("The file is empty."))
    header = [cell.strip() for cell in rows[0]]
    if len([h for h in header if h]) < 2:
        raise ImportError_(_("The first line should name the columns (e.g. name, email, phone…)."))
    return header, rows[1:]


def guess_mapping(header):
    mapping = {}
    used = set()
    for target, words in TARGETS:
        for index, name in enumerate(header):
            key = name.strip().lower()
            if index not in used and (key in words or any(key == w or key.startswith(w) for w in words)):
                mapping[target] = index
                used.add(index)
                break
    return mapping


def guess_date_format(values):
    """Day/month/year unless a value proves it is month/day/year (a 'day' above 12 in second place)."""
    for value in values:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value or ""):
            return "ymd"
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})", value or "")
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            if second > 12:
                return "mdy"
            if first > 12:
                return "dmy"
    return "dmy"


def distinct_values(rows, index, limit=40):
    seen = []
    if index is None:
        return seen
    for row in rows:
        value = row[index].strip() if index < len(row) else ""
        if value and value not in seen:
            seen.append(value)
            if len(seen) >= limit:
                break
    return seen


def guess_stage_map(values, stages):
    by_name = {s.name.lower(): s.id for s in stages}
    open_stages = [s for s in stages if s.kind == "open"]
    result = {}
    for value in values:
        key = value.lower()
        if key in by_name:
            result[value] = by_name[key]
        elif key in ("won", "ganado", "ganada", "closed won"):
            result[value] = next((s.id for s in stages if s.kind == "won"), None)
        elif key in ("lost", "perdido", "perdida", "closed lost"):
            result[value] = next((s.id for s in stages if s.kind == "lost"), None)
        elif key in ("prospecting", "prospect", "prospección") and open_stages:
            result[value] = open_stages[0].id
        elif key in ("engaging", "contacted", "contactado") and len(open_stages) > 1:
            result[value] = open_stages[1].id
    return result


@dataclass
class Settings:
    mapping: dict = field(default_factory=dict)      # target -> column index
    date_format: str = "dmy"
    duplicates: str = "merge"                        # merge: attach to the existing customer; skip: leave the row
    stage_map: dict = field(default_factory=dict)    # value in the file -> stage id

    @classmethod
    def load(cls, text):
        return cls(**json.loads(text)) if text else cls()

    def dump(self):
        return json.dumps(self.__dict__)


@dataclass
class CheckedRow:
    line: int
    customer: str
    email: Optional[str]
    phone: Optional[str]
    city: Optional[str]
    title: str
    value: Optional[Decimal]
    close_date: Optional[date]
    stage_id: Optional[int]
    source: str
    seller_id: Optional[int]
    notes: Optional[str]


def check_row(line, row, settings, sellers, problems):
    """Turn one CSV row into a CheckedRow, or append its problems (line, field, message) and return None."""
    cell = lambda target: (row[settings.mapping[target]].strip()  # noqa: E731
                           if target in settings.mapping and settings.mapping[target] is not None
                           and settings.mapping[target] < len(row) else "")
    before = len(problems)
    if not any(value.strip() for value in row):
        return None
    customer = cell("customer")
    if not customer:
        problems.append((line, _("customer"), _("No customer name.")))
    title = cell("title")
    if not title:
        problems.append((line, _("title"), _("No title (what the customer wants).")))
    email = cell("email").lower() or None
    if email and not looks_like_email(email):
        problems.append((line, _("email"), _("“%(value)s” is not an email address.", value=email)))
    value = None
    if cell("value"):
        try:
            value = parse_amount(cell("value"), shop_file_locale())
            if value < 0 or value > 10_000_000:
                raise ValueError
        except ValueError:
            problems.append((line, _("value"), _("“%(value)s” is not an amount.", value=cell("value"))))
    close_date = None
    if cell("close_date"):
        try:
            close_date = datetime.strptime(cell("close_date"), DATE_FORMATS[settings.date_format]).date()
        except ValueError:
            problems.append((line, _("close date"), _("“%(value)s” is not a date in the chosen format.",
                                                       value=cell("close_date"))))
    stage_id = None
    if cell("stage"):
        stage_id = settings.stage_map.get(cell("stage"))
        if not stage_id:
            problems.append((line, _("stage"), _("“%(value)s” is not matched to a stage.", value=cell("stage"))))
    source = SOURCE_WORDS.get(cell("source").lower(), "csv_import") if cell("source") else "csv_import"
    seller_id = sellers.get(cell("seller").lower()) if cell("seller") else None
    if len(problems) > before:
        return None
    return CheckedRow(line=line, customer=customer, email=email, phone=cell("phone") or None,
                      city=cell("city") or None, title=title[:200], value=value, close_date=close_date,
                      stage_id=stage_id, source=source, seller_id=seller_id, notes=cell("notes") or None)


def seller_lookup():
    users = db.session.scalars(select(User).where(User.active, User.role.in_(("owner", "seller")))).all()
    lookup = {}
    for user in users:
        lookup[user.name.lower()] = user.id
        lookup[user.email.lower()] = user.id
    return lookup


def check_chunk(job, rows, start, end):
    """Check rows[start:end]; return the problems found. Line numbers count the header as line 1."""
    settings = Settings.load(job.settings)
    sellers = seller_lookup()
    problems = []
    for offset, row in enumerate(rows[start:end]):
        check_row(start + offset + 2, row, settings, sellers, problems)
    return problems


def import_rows(job, rows, importer):
    """Import every good row in one transaction. Returns counts {created, merged, skipped, customers}."""
    settings = Settings.load(job.settings)
    sellers = seller_lookup()
    stages = {s.id: s for s in ensure_default_stages()}
    first_stage = next(s for s in active_stages() if s.kind == "open")
    existing = _existing_customers()
    created = {"email": {}, "phone": {}, "name": {}}
    counts = {"created": 0, "merged": 0, "skipped": 0, "customers": 0, "problems": 0}
    problems = []
    now = utcnow()
    for index, row in enumerate(rows):
        checked = check_row(index + 2, row, settings, sellers, problems)
        if checked is None:
            continue
        customer, is_existing = _match_customer(checked, existing, created)
        if is_existing and settings.duplicates == "skip":
            counts["skipped"] += 1
            continue
        if customer is None:
            customer = Customer(name=checked.customer, email=checked.email, phone=checked.phone, city=checked.city,
                                owner_id=checked.seller_id or (importer.id if importer.role == "seller" else None))
            customer.refresh_phone_digits()
            db.session.add(customer)
            _remember(created, customer)
            counts["customers"] += 1
        elif is_existing:
            _fill_blanks(customer, checked)
            counts["merged"] += 1
        stage = stages.get(checked.stage_id) or first_stage
        seller_id = checked.seller_id or (importer.id if importer.role == "seller" else None)
        lead = Lead(customer=customer, title=checked.title, source=checked.source, estimated_value=checked.value,
                    expected_close_date=checked.close_date, seller_id=seller_id, stage=stage, stage_entered_at=now,
                    description=checked.notes, closed_at=now if stage.kind != "open" else None)
        priority = priority_of(LeadFacts(estimated_value=checked.value, known_customer=is_existing,
                                         has_phone=bool(customer.phone or customer.mobile),
                                         has_email=bool(customer.email), deadline=checked.close_date,
                                         closed=stage.kind != "open"))
        lead.priority, lead.priority_reasons = priority.score, priority.as_json()
        db.session.add(lead)
        db.session.add(StageChange(lead=lead, from_stage_id=None, to_stage_id=stage.id, changed_at=now,
                                   changed_by_id=importer.id))
        counts["created"] += 1
    counts["problems"] = len({line for line, _f, _m in problems})
    return counts


def looks_like_email(text):
    return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text))


def _remember(index, customer):
    if customer.email:
        index["email"].setdefault(customer.email.lower(), customer)
    for digits in (customer.phone_digits or "").split():
        index["phone"].setdefault(digits, customer)
    index["name"].setdefault(customer.name.lower(), customer)


def _existing_customers():
    """Index of active customers by email, phone digits and exact name: one query, however big the file."""
    index = {"email": {}, "phone": {}, "name": {}}
    for customer in db.session.scalars(select(Customer).where(Customer.archived_at.is_(None))):
        _remember(index, customer)
    return index


def _lookup(index, checked):
    digits = re.sub(r"\D", "", checked.phone or "")
    return ((checked.email and index["email"].get(checked.email))
            or (len(digits) >= 6 and index["phone"].get(digits))
            or index["name"].get(checked.customer.lower()))


def _match_customer(checked, existing, created):
    """(customer, is_existing): an existing customer with the same email, phone or name; else one created
    earlier from this same file; else (None, False)."""
    found = _lookup(existing, checked)
    if found:
        return found, True
    return _lookup(created, checked) or None, False


def _fill_blanks(customer, checked):
    """Merging never overwrites what the shop already knows; it only fills what was missing."""
    for attr in ("email", "phone", "city"):
        if not getattr(customer, attr) and getattr(checked, attr):
            setattr(customer, attr, getattr(checked, attr))
    customer.refresh_phone_digits()


# The duplicate rules, shared with the vCard import (sales/connect/vcards.py).
existing_customers, match_customer, remember_customer = _existing_customers, _match_customer, _remember


def file_rows(job):
    return read_rows(job.content)[1]
