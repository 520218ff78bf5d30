"""Import of deals (leads) from a spreadsheet: a shop's history brought in whole, with what happened and when.

The steps, each a plain function the views and tests call:
1. the file is read into a table (sales.import_files) and its columns are matched to deal fields;
2. the values of the columns that name something of the shop's (stage, seller, product, source, lost reason)
   are matched to the shop's own, automatically where only case, accents or spaces differ; the person maps the
   rest or has them created (a new seller, product or stage);
3. every row is checked, in chunks so a big file shows progress, and problems are reported by line and field;
4. the good rows are imported in chunks, each its own transaction. A deal keeps the file's dates: created on,
   closed on (won or lost), and a stage history rebuilt from them and marked as imported, so every report counts
   the deal in the period it happened in. A file with an ID column can be imported again: the deals it already
   brought in are updated, never copied.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Customer, ImportJob, Lead, LeadProduct, PipelineStage, Product, StageChange, User, utcnow
from sales.bulk import insert_returning_ids
from sales.import_files import FileProblem, read_table
from sales.languages import shop_language, writing_for_the_shop
from sales.leads.forms import SOURCE_CHOICES
from sales.leads.import_orders import sync_orders
from sales.leads.priority import LeadFacts, priority_of
from sales.leads.stages import active_stages, ensure_default_stages
from sales.matching import auto_match, match_key, value_counts
from sales import phones
from sales import numbers
from sales.custom_fields import parse as parse_custom
from sales.texts import N_, stored as stored_text

CHUNK = 2000
# Older names kept for the catalog import, which reads its files the same way.
ImportError_ = FileProblem

# Target fields and the header words that suggest them (English and Spanish exports, other CRMs' names).
TARGETS = (
    ("external_id", ("opportunity_id", "deal_id", "deal id", "opportunity id", "id", "external id", "ref",
                     "id de la oportunidad", "id oportunidad")),
    ("customer", ("customer", "cliente", "account", "cuenta", "company", "empresa", "name", "nombre")),
    ("email", ("email", "e-mail", "correo", "mail")),
    ("phone", ("phone", "teléfono", "telefono", "tel", "mobile", "móvil", "movil")),
    ("city", ("city", "ciudad", "localidad", "town")),
    ("title", ("title", "título", "titulo", "opportunity", "oportunidad", "interest", "interés", "interes",
               "subject", "asunto")),
    ("product", ("product", "producto", "products", "productos", "item", "artículo", "articulo")),
    ("quantity", ("quantity", "qty", "cantidad", "unidades", "units")),
    ("value", ("value", "valor", "amount", "importe", "estimated value", "valor estimado", "price", "precio")),
    ("won_amount", ("close_value", "won amount", "won_amount", "importe ganado", "closed amount", "sale amount")),
    ("created_on", ("engage_date", "created", "created on", "created_at", "creado", "alta", "fecha alta",
                    "creada el", "first contact", "primer contacto", "date", "fecha")),
    ("close_date", ("close_date", "close date", "closed on", "closed_at", "expected close", "cierre",
                    "fecha cierre", "cerrada el")),
    ("stage", ("stage", "etapa", "deal_stage", "status", "estado")),
    ("lost_reason", ("lost reason", "lost_reason", "motivo", "motivo pérdida", "motivo de pérdida", "reason",
                     "razón", "razon")),
    ("source", ("source", "origen", "fuente", "channel", "canal")),
    ("seller", ("seller", "vendedor", "sales_agent", "agent", "owner", "comercial", "salesperson")),
    ("notes", ("notes", "notas", "description", "descripción", "comments")),
)
REQUIRED = ("customer",)
# Columns whose values are matched to a list of the shop's, on the value mapping step.
VALUE_TARGETS = ("stage", "seller", "product", "source", "lost_reason")
DATE_FORMATS = ("dmy", "mdy", "ymd")
SANE_YEARS = (1900, 2100)
# A deal's moments are dates; stored at noon UTC they fall on the same day in any shop's time zone.
NOON = time(12, 0)
SOURCE_WORDS = {"walk-in": "walk_in", "web": "web_form", "website": "web_form", "referido": "referral",
                "telefono": "phone", "teléfono": "phone", "campaña": "campaign", "tienda": "walk_in"}
STAGE_WORDS = {"won": ("won", "ganado", "ganada", "closed won"), "lost": ("lost", "perdido", "perdida", "closed lost")}
OPEN_STAGE_WORDS = (("prospecting", "prospect", "prospección", "prospeccion", "lead"),
                    ("engaging", "contacted", "contactado", "in contact", "en contacto"))
# A product cell may name several products: "GTX Basic; MG Special".
PRODUCT_SEPARATORS = re.compile(r"\s*[;|]\s*")
NEW = "new"
NONE = "none"
NEW_FIELD = "new"          # an other column that becomes a new lead custom field


def content_hash(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_rows(text, delimiter=None):
    """(header, rows) of the job's CSV text."""
    header, rows, _delimiter = read_table(text, delimiter)
    return header, rows


def guess_mapping(header):
    mapping = {}
    used = set()
    for target, words in TARGETS:
        for index, name in enumerate(header):
            key = name.strip().lower()
            if index not in used and (key in words or any(key.startswith(w) for w in words if len(w) > 3)):
                mapping[target] = index
                used.add(index)
                break
    return mapping


# --- Dates --------------------------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:\s.*)?")


def date_reading(values):
    """How the dates of the file read: {"format": dmy|mdy|ymd, "ambiguous": bool}.

    A day above 12 in first or second place proves the order; when no value does, every date reads both ways
    and the person must say which (3/1/2017 is 3 January or 1 March).
    """
    slashed = False
    for value in values:
        value = (value or "").strip()
        if _ISO.fullmatch(value):
            return {"format": "ymd", "ambiguous": False}
        match = _SLASHED.fullmatch(value)
        if match:
            slashed = True
            first, second = int(match.group(1)), int(match.group(2))
            if second > 12:
                return {"format": "mdy", "ambiguous": False}
            if first > 12:
                return {"format": "dmy", "ambiguous": False}
    return {"format": "dmy", "ambiguous": slashed}


def guess_date_format(values):
    return date_reading(values)["format"]


def parse_date(text, date_format):
    """The date `text` names in `date_format`, or None when it names none. Two-digit years are 19xx/20xx."""
    text = text.strip()
    iso = _ISO.fullmatch(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        match = _SLASHED.fullmatch(text)
        if not match or date_format == "ymd":
            return None
        first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if len(match.group(3)) == 2:
            year += 2000 if year < 70 else 1900
        day, month = (first, second) if date_format == "dmy" else (second, first)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def at_noon(day):
    return datetime.combine(day, NOON) if day else None


# --- Values -------------------------------------------------------------------------------------------------

def split_products(cell):
    return [name for name in PRODUCT_SEPARATORS.split(cell.strip()) if name]


def file_values(rows, settings, target):
    """[(value, rows)] of a value column; products counted once per name even when a cell lists several."""
    index = settings.mapping.get(target)
    if target != "product":
        return value_counts(rows, index)
    counts = {}
    for value, rows_with_it in value_counts(rows, index):
        for name in split_products(value):
            counts[name] = counts.get(name, 0) + rows_with_it
    return list(counts.items())


def choices_for(target):
    """{key: [names it answers to]} of the shop's list for a value column; keys as stored in the value map."""
    if target == "stage":
        stages = ensure_default_stages()
        # A file may name a stage in any of the languages the shop has named it in.
        result = {str(s.id): list(dict.fromkeys([s.name, *(s.names or {}).values()])) for s in stages}
        for kind, words in STAGE_WORDS.items():
            stage = next((s for s in stages if s.kind == kind), None)
            if stage:
                result[str(stage.id)] = result[str(stage.id)] + list(words)
        # Other CRMs' usual first two stages, to the shop's first two open ones.
        open_stages = [s for s in stages if s.kind == "open"]
        for position, words in enumerate(OPEN_STAGE_WORDS[:len(open_stages)]):
            result[str(open_stages[position].id)] = result[str(open_stages[position].id)] + list(words)
        return result
    if target == "seller":
        users = db.session.scalars(select(User).where(User.role.in_(("owner", "seller")))
                                   .order_by(User.active.desc(), User.name)).all()
        return {str(u.id): [u.name] + ([u.email] if u.email else []) for u in users}
    if target == "product":
        products = db.session.scalars(select(Product).order_by(Product.name)).all()
        return {str(p.id): [p.name, p.code] for p in products}
    if target == "source":
        result = {code: [code, str(label)] for code, label in SOURCE_CHOICES}
        for word, code in SOURCE_WORDS.items():
            result[code].append(word)
        return result
    if target == "lost_reason":
        from sales.negotiation.forms import LOST_REASON_CHOICES
        return {code: [code, str(label)] for code, label in LOST_REASON_CHOICES}
    raise KeyError(target)


def default_for_unmatched(target):
    """What a value nobody matched becomes until the person chooses: sellers get an account of their own (the
    page says how many), sources and reasons fall back to “other”; stages and products must be chosen."""
    return {"seller": NEW, "source": "other", "lost_reason": "other"}.get(target, "")


def guess_value_maps(rows, settings):
    """Fill settings.value_maps for every value of the mapped value columns not decided yet."""
    for target in VALUE_TARGETS:
        values = [value for value, _count in file_values(rows, settings, target)]
        current = settings.value_maps.get(target, {})
        matched = auto_match(values, choices_for(target)) if values else {}
        # In the file's order, as the page lists them: the form's numbered fields follow this order.
        settings.value_maps[target] = {
            value: current[value] if value in current else matched.get(value, default_for_unmatched(target))
            for value in values}


def undecided_values(settings):
    """{target: [values]} still without a choice: the check cannot start while there are any."""
    result = {}
    for target in VALUE_TARGETS:
        if target in settings.mapping:
            missing = [value for value, choice in settings.value_maps.get(target, {}).items() if not choice]
            if missing:
                result[target] = missing
    return result


# --- Settings of one import ---------------------------------------------------------------------------------

@dataclass
class Settings:
    mapping: dict = field(default_factory=dict)       # target -> column index
    delimiter: Optional[str] = None
    date_format: str = "dmy"
    dates_ambiguous: bool = False                      # the file's dates read both ways: the person must choose
    date_format_chosen: bool = False
    number_notation: str = ""                          # comma (1.234,56) or point (1,234.56); "" until read
    numbers_ambiguous: bool = False                    # no value tells ("1.200"): the person must choose
    number_notation_chosen: bool = False
    duplicates: str = "merge"                          # merge: attach to the existing customer; skip: leave the row
    without_customer: str = "skip"                     # skip, prospect (one per row) or placeholder (one for all)
    placeholder_name: str = ""
    value_maps: dict = field(default_factory=dict)     # target -> {value in the file: choice key}
    seen_before: bool = False                          # the same content was imported before, without an ID
    import_again: bool = False                         # …and the person said to import it anyway
    stage_map: dict = field(default_factory=dict)      # kept for jobs saved before value_maps existed
    language: str = ""                                 # the person's, for the problems the cron writes
    custom_map: dict = field(default_factory=dict)     # other column index (text) -> "cf:<key>", "new" or ""

    @classmethod
    def load(cls, text):
        data = json.loads(text) if text else {}
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        settings = cls(**known)
        if settings.stage_map and "stage" not in settings.value_maps:
            settings.value_maps["stage"] = {k: str(v) for k, v in settings.stage_map.items()}
        return settings

    def dump(self):
        return json.dumps(self.__dict__)

    def choice(self, target, value):
        return self.value_maps.get(target, {}).get(value, "")

    def needs_date_choice(self):
        return self.dates_ambiguous and not self.date_format_chosen

    def needs_number_choice(self):
        return self.numbers_ambiguous and not self.number_notation_chosen


def guess_custom_map(header, settings):
    """The columns no deal field takes: a lead custom field of the same name (the deals export writes them so),
    else a new one — as the customer import does. A column the person already decided keeps its choice."""
    from sales.custom_fields import all_fields

    existing = {match_key(f.label): f for f in all_fields("lead")}
    taken = set(settings.mapping.values())
    guessed = {}
    for index, name in enumerate(header):
        if index in taken or not name.strip():
            continue
        if str(index) in settings.custom_map:
            guessed[str(index)] = settings.custom_map[str(index)]
        else:
            found = existing.get(match_key(name))
            guessed[str(index)] = f"cf:{found.key}" if found else NEW_FIELD
    settings.custom_map = guessed


def lead_fields(header, rows, settings):
    """{key: field} the custom columns are read into: the owner's lead fields, and (until the import creates
    them) the new ones, with the kind their values will get."""
    from models import CustomField
    from sales.custom_fields import all_fields, guess_kind

    fields = {f.key: f for f in all_fields("lead")}
    for index, target in settings.custom_map.items():
        if target == NEW_FIELD and int(index) < len(header):
            column = int(index)
            kind, choices = guess_kind([row[column] for row in rows if column < len(row)],
                                       settings.number_notation or numbers.shop_file_notation())
            fields[f"new-{index}"] = CustomField(entity="lead", key=f"new-{index}", label=header[column], kind=kind,
                                                 choices="\n".join(choices) if choices else None)
    return fields


def create_new_fields(header, rows, settings):
    """Make the lead custom fields the mapping asks for (once, before the first chunk is imported)."""
    from sales.custom_fields import define

    fields = lead_fields(header, rows, settings)
    for index, target in list(settings.custom_map.items()):
        if target == NEW_FIELD:
            probe = fields[f"new-{index}"]
            created = define("lead", probe.label, probe.kind, probe.choice_list if probe.kind == "choice" else None)
            settings.custom_map[index] = f"cf:{created.key}"


def new_settings(header, rows, delimiter):
    settings = Settings(mapping=guess_mapping(header), delimiter=delimiter)
    guess_custom_map(header, settings)
    refresh_dates(settings, rows)
    refresh_numbers(settings, rows)
    guess_value_maps(rows, settings)
    return settings


NUMBER_TARGETS = ("value", "won_amount", "quantity")


def refresh_numbers(settings, rows):
    """Re-read how the mapped amount columns write their numbers (after the mapping changed)."""
    values = []
    for target in NUMBER_TARGETS:
        index = settings.mapping.get(target)
        if index is not None:
            values += [row[index] for row in rows if index < len(row) and row[index].strip()][:2000]
    reading = numbers.number_reading(values, default=numbers.shop_file_notation())
    if not settings.number_notation_chosen:
        settings.number_notation = reading["notation"]
    settings.numbers_ambiguous = reading["ambiguous"]


def refresh_dates(settings, rows):
    """Re-read how the mapped date columns are written (after the mapping changed)."""
    values = []
    for target in ("created_on", "close_date"):
        index = settings.mapping.get(target)
        if index is not None:
            values += [row[index] for row in rows if index < len(row) and row[index].strip()][:2000]
    reading = date_reading(values)
    if not settings.date_format_chosen:
        settings.date_format = reading["format"]
    settings.dates_ambiguous = reading["ambiguous"]


def seen_before(text):
    """Whether a finished import had this same content."""
    return db.session.scalar(select(ImportJob.id).where(ImportJob.kind == "leads", ImportJob.status == "done",
                                                        ImportJob.content_hash == content_hash(text))) is not None


# --- Checking a row -----------------------------------------------------------------------------------------

@dataclass
class CheckedRow:
    line: int
    external_id: Optional[str]
    customer: str
    email: Optional[str]
    phone: Optional[str]
    city: Optional[str]
    title: str
    value: Optional[Decimal]
    won_amount: Optional[Decimal]
    created_on: Optional[date]
    close_date: Optional[date]
    stage: Optional[str]           # the value map's choice: a stage id, or NEW
    stage_value: str
    seller: Optional[str]          # a user id, NEW or NONE
    seller_value: str
    products: list                 # [(choice, file value)]
    quantity: Decimal
    source: str
    lost_reason: Optional[str]
    lost_words: Optional[str]
    notes: Optional[str]
    custom: dict = field(default_factory=dict)   # lead custom field key -> stored value


def _amount(text, settings, line, label, problems):
    try:
        amount = numbers.parse_file_number(text, settings.number_notation or numbers.shop_file_notation())
        if amount is None or amount < 0 or amount > 10_000_000_000:
            raise ValueError
        return amount
    except (InvalidOperation, ValueError):
        problems.append((line, label, stored_text(
            N_("“%(value)s” is not an amount written like %(example)s."), value=text,
            example=numbers.notation_example(settings.number_notation))))
        return None


def _date(text, settings, line, label, problems):
    day = parse_date(text, settings.date_format)
    if day is None:
        problems.append((line, label, stored_text(N_("“%(value)s” is not a date in the chosen format."), value=text)))
    elif not SANE_YEARS[0] <= day.year <= SANE_YEARS[1]:
        problems.append((line, label, stored_text(
            N_("“%(value)s” is outside the years %(first)d–%(last)d."), value=text,
            first=SANE_YEARS[0], last=SANE_YEARS[1])))
        return None
    return day


def field_labels():
    """The fields' names as problems report them (looked up once per chunk, not once per row)."""
    names = {"customer": N_("customer"), "email": N_("email"), "phone": N_("phone"), "value": N_("value"),
             "won_amount": N_("won amount"), "quantity": N_("quantity"), "created_on": N_("created on"),
             "close_date": N_("close date"), "stage": N_("stage"), "product": N_("product"), "seller": N_("seller")}
    return {key: stored_text(msgid) for key, msgid in names.items()}


def check_row(line, row, settings, stage_kinds, problems, labels=None, fields=None):
    """Turn one row into a CheckedRow, or append its problems (line, field, message) and return None.

    `stage_kinds` is {stage choice: open|won|lost} (NEW stages are open).
    """
    labels = labels or field_labels()
    def cell(target):
        index = settings.mapping.get(target)
        return row[index].strip() if index is not None and index < len(row) else ""

    before = len(problems)
    if not any(value.strip() for value in row):
        return None
    customer = cell("customer")
    if not customer and settings.without_customer == "skip":
        problems.append((line, labels["customer"], stored_text(N_("No customer name."))))
    email = cell("email").lower() or None
    if email and not looks_like_email(email):
        problems.append((line, labels["email"], stored_text(N_("“%(value)s” is not an email address."), value=email)))
    # Stored in E.164 (sales/phones.py) so a customer whose number the file writes another way is matched, not
    # copied; a number that cannot be dialled is the row's problem, as on the customer form.
    phone = phones.match_key(cell("phone"))
    if cell("phone") and phone is None:
        problems.append((line, labels["phone"], stored_text(
            N_("“%(value)s” is not a phone number."), value=cell("phone"))))
    value = _amount(cell("value"), settings, line, labels["value"], problems) if cell("value") else None
    won_amount = (_amount(cell("won_amount"), settings, line, labels["won_amount"], problems)
                  if cell("won_amount") else None)
    quantity = Decimal("1")
    if cell("quantity"):
        quantity = _amount(cell("quantity"), settings, line, labels["quantity"], problems) or Decimal("1")
    created_on = _date(cell("created_on"), settings, line, labels["created_on"], problems) if cell("created_on") else None
    close_date = _date(cell("close_date"), settings, line, labels["close_date"], problems) if cell("close_date") else None
    stage = None
    if cell("stage"):
        stage = settings.choice("stage", cell("stage")) or None
        if not stage:
            problems.append((line, labels["stage"], stored_text(
                N_("“%(value)s” is not matched to a stage."), value=cell("stage"))))
    kind = stage_kinds.get(stage, "open")
    if kind != "open" and close_date is None and "close_date" in settings.mapping and not cell("close_date"):
        problems.append((line, labels["close_date"], stored_text(N_("A won or lost deal needs the date it closed."))))
    if created_on and close_date and kind != "open" and close_date < created_on:
        problems.append((line, labels["close_date"], stored_text(
            N_("Closed on %(closed)s, before it was created (%(created)s)."), closed=cell("close_date"),
            created=cell("created_on"))))
    products = []
    for name in split_products(cell("product")):
        choice = settings.choice("product", name)
        if not choice:
            problems.append((line, labels["product"], stored_text(
                N_("“%(value)s” is not matched to a product."), value=name)))
        elif choice != NONE:
            products.append((choice, name))
    seller = settings.choice("seller", cell("seller")) if cell("seller") else None
    if cell("seller") and not seller:
        problems.append((line, labels["seller"], stored_text(
            N_("“%(value)s” is not matched to a seller."), value=cell("seller"))))
    source = (settings.choice("source", cell("source")) or "other") if cell("source") else "csv_import"
    lost_reason = lost_words = None
    if kind == "lost" and cell("lost_reason"):
        lost_reason, lost_words = settings.choice("lost_reason", cell("lost_reason")) or "other", cell("lost_reason")
    custom = {}
    for index, target in settings.custom_map.items():
        column = int(index)
        text = row[column].strip() if column < len(row) else ""
        field_ = (fields or {}).get(target[3:] if target.startswith("cf:") else f"new-{index}") if target else None
        if not text or field_ is None:
            continue
        stored, problem = parse_custom(field_, text, settings.number_notation or numbers.shop_file_notation(),
                                       keep_problem=True)
        if problem:
            problems.append((line, field_.label, problem))
        else:
            custom[field_.key if target.startswith("cf:") else f"new-{index}"] = stored
    if len(problems) > before:
        return None
    with writing_for_the_shop():      # a name staff edit afterwards: the shop's words, not the importer's
        title = cell("title") or ", ".join(name for _choice, name in products) or cell("product") or \
            (_("Deal %(id)s", id=cell("external_id")) if cell("external_id") else _("Imported deal"))
    return CheckedRow(line=line, external_id=cell("external_id")[:80] or None, customer=customer[:160],
                      email=email, phone=phone, city=cell("city")[:100] or None,
                      title=title[:200], value=value, won_amount=won_amount, created_on=created_on,
                      close_date=close_date, stage=stage, stage_value=cell("stage"), seller=seller,
                      seller_value=cell("seller"), products=products, quantity=quantity, source=source,
                      lost_reason=lost_reason, lost_words=lost_words[:300] if lost_words else None,
                      notes=cell("notes") or None, custom=custom)


def stage_kinds():
    kinds = {str(s.id): s.kind for s in db.session.scalars(select(PipelineStage))}
    kinds[NEW] = "open"
    return kinds


def check_chunk(job, rows, start, end):
    """Check rows[start:end]; return the problems found. Line numbers count the header as line 1."""
    settings = Settings.load(job.settings)
    kinds = stage_kinds()
    labels = field_labels()
    fields = lead_fields(job_header(job, settings), rows, settings)
    problems = []
    for offset, row in enumerate(rows[start:end]):
        check_row(start + offset + 2, row, settings, kinds, problems, labels, fields)
    return problems


def job_header(job, settings):
    return read_rows(job.content, settings.delimiter)[0] if settings.custom_map else []


# --- Importing ----------------------------------------------------------------------------------------------

def create_new_choices(settings, importer):
    """Create what the value mapping asked to create — sellers without an email yet, products, stages — and
    point the value maps at them. Runs once, before the first chunk is imported."""
    maps = settings.value_maps
    for value, choice in maps.get("seller", {}).items():
        if choice == NEW:
            user = User(name=value[:120], email=None, role="seller", active=True)
            db.session.add(user)
            db.session.flush()
            maps["seller"][value] = str(user.id)
    codes = set(db.session.scalars(select(Product.code)))
    for value, choice in maps.get("product", {}).items():
        if choice == NEW:
            code = base = re.sub(r"[^A-Z0-9]+", "-", value.upper()).strip("-")[:36] or "P"
            number = 1
            while code in codes:
                number += 1
                code = f"{base}-{number}"
            codes.add(code)
            product = Product(code=code, name=value[:200], unit_price=Decimal("0"))
            db.session.add(product)
            db.session.flush()
            maps["product"][value] = str(product.id)
    stages = ensure_default_stages()
    for value, choice in maps.get("stage", {}).items():
        if choice == NEW:
            closing = [s.position for s in stages if s.kind != "open"]
            position = (min(closing) - 1) if closing else (max((s.position for s in stages), default=0) + 10)
            stage = PipelineStage(name=value[:60], names={shop_language(): value[:60]}, kind="open",
                                  position=position)
            db.session.add(stage)
            db.session.flush()
            maps["stage"][value] = str(stage.id)


def prepare(job, importer):
    """Before the first chunk is imported (sales.import_jobs.start_import)."""
    settings = Settings.load(job.settings)
    create_new_choices(settings, importer)
    if NEW_FIELD in settings.custom_map.values():
        header, rows = read_rows(job.content, settings.delimiter)
        create_new_fields(header, rows, settings)
    job.settings = settings.dump()


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    skipped: int = 0
    customers: int = 0
    prospects: int = 0
    orders: int = 0            # orders made from won deals (sales/leads/import_orders.py)
    orders_updated: int = 0
    orders_removed: int = 0    # deals no longer won: their imported orders are gone
    # New leads with no seller in the file that the branch rules routed: {branch: {seller name, "" for none: n}}.
    routed: dict = field(default_factory=dict)
    # The customers this import created: met again in a later chunk they are the file's own, not merges.
    customer_ids: list = field(default_factory=list)

    @classmethod
    def load(cls, text):
        return cls(**{k: v for k, v in json.loads(text or "{}").items() if k in cls.__dataclass_fields__})

    def dump(self, problems=0):
        return json.dumps({**self.__dict__, "problems": problems})


def import_chunk(job, rows, start, end, importer, counts):
    """Import the good rows of rows[start:end] (adding to `counts`). The caller commits: one chunk, one
    transaction, so an interrupted import never leaves half a chunk behind and resumes where it stopped.

    New customers, deals, their stage moves and products go in as a few multi-row INSERTs (with the audit log's
    "create" rows), not object by object: 8 800 deals import in seconds."""
    settings = Settings.load(job.settings)
    kinds = stage_kinds()
    stages = {str(s.id): s for s in db.session.scalars(select(PipelineStage))}
    first_open = next(s for s in active_stages() if s.kind == "open")
    labels = field_labels()
    fields = lead_fields(job_header(job, settings), rows, settings)
    chunk = []
    problems = []
    for offset, row in enumerate(rows[start:end]):
        checked = check_row(start + offset + 2, row, settings, kinds, problems, labels, fields)
        if checked is not None:
            chunk.append(checked)
    known = _leads_by_external_id([c.external_id for c in chunk if c.external_id])
    existing = _existing_customers()
    placeholder = None
    new_customers = []
    new_leads = []   # (checked, customer: Customer or NewCustomer)
    now = utcnow()
    synced = []      # the deals of the chunk already on file, whose orders follow them
    for checked in chunk:
        lead = known.get(checked.external_id) if checked.external_id else None
        if lead is not None:
            synced.append(lead.id)
            if _update_lead(lead, checked, stages, first_open, importer, now):
                counts.updated += 1
            else:
                counts.unchanged += 1
            continue
        if checked.customer:
            customer, is_existing = _match_customer(checked, existing, counts.customer_ids)
            if is_existing and settings.duplicates == "skip":
                counts.skipped += 1
                continue
            if customer is None:
                customer = _new_customer(checked, checked.customer, importer, new_customers)
                _remember(existing["new"], customer)
                counts.customers += 1
            elif is_existing:
                _fill_blanks(customer, checked)
                counts.merged += 1
        elif settings.without_customer == "placeholder":
            with writing_for_the_shop():
                name = settings.placeholder_name.strip() or _("Customer not in the file")
            placeholder = placeholder or existing["name"].get(name.lower()) or existing["new"]["name"].get(
                name.lower())
            if placeholder is None:
                placeholder = _new_customer(checked, name, importer, new_customers)
                _remember(existing["new"], placeholder)
                counts.customers += 1
            customer = placeholder
        else:  # a prospect of its own, named from the row
            with writing_for_the_shop():
                name = checked.email or phones.display(checked.phone) or (
                    _("Prospect of deal %(id)s", id=checked.external_id) if checked.external_id
                    else _("Prospect from line %(line)d", line=checked.line))
            customer = _new_customer(checked, name, importer, new_customers)
            counts.prospects += 1
        if isinstance(customer, NewCustomer):
            customer.created_at = min(customer.created_at or now, _created_moment(checked, kinds, now))
        new_leads.append((checked, customer))
        counts.created += 1
    db.session.flush()
    _insert_customers(new_customers, importer, now)
    counts.customer_ids += [c.id for c in new_customers]
    ids = _insert_leads(new_leads, stages, first_open, importer, now)
    _route_new_leads([lead_id for lead_id, (checked, _c) in zip(ids, new_leads) if not checked.seller_value], counts)
    orders = sync_orders(synced + ids, importer, now)
    counts.orders += orders.created
    counts.orders_updated += orders.updated
    counts.orders_removed += orders.removed
    return problems


def _route_new_leads(lead_ids, counts):
    """The new leads of the file with no seller go where the owner's branch rules send them, as a web-form lead
    does (sales/branches.py): into a branch and, while open, to its seller (by default or round robin). A closed
    deal of the past only gets its branch; with no rule matching, a lead keeps the importer's default."""
    from sales import branches

    rules = branches.all_rules()
    if not lead_ids or (not rules and not db.session.scalar(select(Customer.id).where(Customer.branch_id.is_not(None))
                                                             .limit(1))):
        return
    leads = db.session.scalars(select(Lead).options(selectinload(Lead.customer), selectinload(Lead.stage))
                               .where(Lead.id.in_(lead_ids)).order_by(Lead.id)).all()
    for lead in leads:
        if branches.branch_for(lead, rules) is None:
            continue
        default, is_open = lead.seller_id, lead.stage.kind == "open"
        if is_open:
            lead.seller_id = None
        branch = branches.route(lead, rules, with_seller=is_open)
        chosen = db.session.get(User, lead.seller_id) if is_open and lead.seller_id is not None else None
        if chosen is None:
            lead.seller_id = default
        per_seller = counts.routed.setdefault(branch.name, {})
        key = chosen.name if chosen is not None else ""
        per_seller[key] = per_seller.get(key, 0) + 1
    db.session.flush()


@dataclass
class NewCustomer:
    """A customer the file brings, gathered while the chunk is read and inserted with the others at its end."""
    name: str
    email: Optional[str]
    phone: Optional[str]
    city: Optional[str]
    owner_id: Optional[int]
    created_at: Optional[datetime] = None
    id: Optional[int] = None

    @property
    def phone_digits(self):
        return phones.search_digits(self.phone)     # what Customer.refresh_phone_digits stores

    mobile = None


def _created_moment(checked, kinds, now):
    closed = kinds.get(checked.stage, "open") != "open"
    return at_noon(checked.created_on) or (at_noon(checked.close_date) if closed else None) or now


def _new_customer(checked, name, importer, created):
    seller_id = int(checked.seller) if checked.seller and checked.seller.isdigit() else None
    customer = NewCustomer(name=name[:160], email=checked.email, phone=checked.phone, city=checked.city,
                           owner_id=seller_id or (importer.id if importer.role == "seller" else None))
    created.append(customer)
    return customer


def _tracked(importer, now, created_at=None):
    return {"created_at": created_at or now, "updated_at": now, "created_by_id": importer.id,
            "updated_by_id": importer.id, "version": 1}


def _audit_created(table, ids, importer, now):
    from models import AuditLog
    if ids:
        db.session.execute(AuditLog.__table__.insert(), [
            {"at": now, "user_id": importer.id, "entity": table, "entity_id": record_id, "action": "create"}
            for record_id in ids])


def _insert_customers(customers, importer, now):
    if not customers:
        return
    ids = insert_returning_ids(Customer.__table__, [
        {"name": c.name, "email": c.email, "phone": c.phone, "phone_digits": c.phone_digits, "city": c.city,
         "owner_id": c.owner_id, "kind": "person", "email_opt_in": False, **_tracked(importer, now, c.created_at)}
        for c in customers])
    for customer, customer_id in zip(customers, ids):
        customer.id = customer_id
    _audit_created("customers", ids, importer, now)


def _insert_leads(planned, stages, first_open, importer, now):
    """Insert the chunk's new deals with their stage moves and products; returns their ids, in the order of
    `planned`."""
    if not planned:
        return []
    leads = []
    for checked, customer in planned:
        stage = stages.get(checked.stage) or first_open
        created_at = at_noon(checked.created_on) or (
            at_noon(checked.close_date) if stage.kind != "open" else None) or now
        closed_at = (at_noon(checked.close_date) or created_at) if stage.kind != "open" else None
        estimate, won = _amounts(checked, stage)
        priority = priority_of(LeadFacts(estimated_value=estimate, known_customer=not isinstance(customer, NewCustomer),
                                         has_phone=bool(customer.phone or customer.mobile),
                                         has_email=bool(customer.email), deadline=checked.close_date,
                                         closed=stage.kind != "open"))
        leads.append({"customer_id": customer.id, "title": checked.title, "source": checked.source,
                      "estimated_value": estimate, "won_amount": won, "expected_close_date": checked.close_date,
                      "seller_id": _seller_id(checked, importer), "stage_id": stage.id,
                      "stage_entered_at": closed_at or created_at, "description": checked.notes,
                      "closed_at": closed_at, "external_id": checked.external_id,
                      "lost_reason": checked.lost_reason, "close_reason": checked.lost_words,
                      "priority": priority.score, "priority_reasons": priority.as_json(),
                      "qualification": "pending", "competitor_involved": False, "custom": checked.custom or None,
                      **_tracked(importer, now, created_at)})
    ids = insert_returning_ids(Lead.__table__, leads)
    _audit_created("leads", ids, importer, now)
    moves, products = [], []
    for lead_id, values, (checked, _customer) in zip(ids, leads, planned):
        stage = stages.get(checked.stage) or first_open
        for move in _history(checked, stage, first_open, importer, values["created_at"]):
            moves.append({**move, "lead_id": lead_id})
        products += [{"lead_id": lead_id, "product_id": int(choice), "quantity": checked.quantity}
                     for choice, _name in checked.products]
    db.session.execute(StageChange.__table__.insert(), moves)
    if products:
        db.session.execute(LeadProduct.__table__.insert(), products)
    return ids


def _seller_id(checked, importer):
    if checked.seller and checked.seller.isdigit():
        return int(checked.seller)
    if checked.seller == NONE or checked.seller_value:
        return None
    return importer.id if importer.role == "seller" else None


def _amounts(checked, stage):
    """(estimated value, won amount): a won deal's amount is the won amount column, else its value."""
    won = None
    if stage.kind == "won":
        won = checked.won_amount if checked.won_amount is not None else checked.value
    estimate = checked.value if checked.value is not None else (won if stage.kind == "won" else None)
    return estimate, won


def _history(checked, stage, first_open, importer, created_at):
    """The stage moves the file's dates tell, as rows: created into the deal's own open stage; or created into the
    first open stage and moved on to the closing stage on the close date. Marked as imported."""
    move = {"changed_by_id": importer.id, "imported": True, "from_stage_entered_at": None}
    if stage.kind == "open":
        return [{**move, "from_stage_id": None, "to_stage_id": stage.id, "changed_at": created_at}]
    closed_at = at_noon(checked.close_date) or created_at
    if checked.created_on and closed_at > created_at:
        return [{**move, "from_stage_id": None, "to_stage_id": first_open.id, "changed_at": created_at},
                {**move, "from_stage_id": first_open.id, "to_stage_id": stage.id, "changed_at": closed_at,
                 "from_stage_entered_at": created_at}]
    return [{**move, "from_stage_id": None, "to_stage_id": stage.id, "changed_at": closed_at}]


def _update_lead(lead, checked, stages, first_open, importer, now):
    """Bring a deal imported before up to date with the file; True when anything changed."""
    stage = stages.get(checked.stage) or lead.stage
    estimate, won = _amounts(checked, stage)
    wanted = {"title": checked.title, "estimated_value": estimate, "won_amount": won,
              "expected_close_date": checked.close_date, "seller_id": _seller_id(checked, importer),
              "source": checked.source, "lost_reason": checked.lost_reason, "close_reason": checked.lost_words}
    if checked.notes is not None:
        wanted["description"] = checked.notes
    changed = False
    for attr, value in wanted.items():
        current = getattr(lead, attr)
        if isinstance(current, Decimal) and value is not None:
            same = current == Decimal(value)
        else:
            same = current == value
        if not same:
            setattr(lead, attr, value)
            changed = True
    if checked.created_on and lead.created_at != at_noon(checked.created_on):
        lead.created_at = at_noon(checked.created_on)
        changed = True
    if stage.id != lead.stage_id:
        when = (at_noon(checked.close_date) or now) if stage.kind != "open" else now
        db.session.add(StageChange(lead=lead, from_stage_id=lead.stage_id, to_stage_id=stage.id, changed_at=when,
                                   changed_by_id=importer.id, from_stage_entered_at=lead.stage_entered_at,
                                   imported=True))
        lead.stage, lead.stage_entered_at = stage, when
        lead.closed_at = when if stage.kind != "open" else None
        changed = True
    elif stage.kind != "open" and checked.close_date and lead.closed_at != at_noon(checked.close_date):
        lead.closed_at = lead.stage_entered_at = at_noon(checked.close_date)
        changed = True
    custom = {**(lead.custom or {}), **checked.custom}
    if custom != (lead.custom or {}):
        lead.custom = custom
        changed = True
    products = sorted((int(choice), checked.quantity) for choice, _n in checked.products)
    if products != sorted((p.product_id, Decimal(p.quantity)) for p in lead.products):
        lead.products = [LeadProduct(product_id=product_id, quantity=quantity) for product_id, quantity in products]
        changed = True
    return changed


def _leads_by_external_id(ids):
    found = {}
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), 500):
        for lead in db.session.scalars(select(Lead).options(selectinload(Lead.products))
                                       .where(Lead.external_id.in_(ids[start:start + 500]))):
            found[lead.external_id] = lead
    return found


def _remember(index, customer):
    if customer.email:
        index["email"].setdefault(customer.email.lower(), customer)
    for digits in (customer.phone_digits or "").split():
        index["phone"].setdefault(digits, customer)
    index["name"].setdefault(customer.name.lower(), customer)


def _existing_customers():
    """Index of active customers by email, phone digits and exact name: one query, however big the file.
    "new" indexes the customers this chunk creates."""
    index = {"email": {}, "phone": {}, "name": {}, "new": {"email": {}, "phone": {}, "name": {}}}
    for customer in db.session.scalars(select(Customer).where(Customer.archived_at.is_(None))):
        _remember(index, customer)
    return index


def _lookup(index, checked):
    digits = phones.match_digits(checked.phone)
    return ((checked.email and index["email"].get(checked.email))
            or (len(digits) >= 6 and index["phone"].get(digits))
            or index["name"].get(checked.customer.lower()))


def _match_customer(checked, existing, created_ids):
    """(customer, is_existing): a customer on file with the same email, phone or name; else one created earlier
    from this same file; else (None, False). Customers the file created in an earlier chunk are on file by
    now, yet they are the file's own: they count as created, not merged."""
    found = _lookup(existing, checked)
    if found:
        return found, found.id not in created_ids
    return _lookup(existing["new"], checked) or None, False


def _fill_blanks(customer, checked):
    """Merging never overwrites what the shop already knows; it only fills what was missing."""
    for attr in ("email", "phone", "city"):
        if not getattr(customer, attr) and getattr(checked, attr):
            setattr(customer, attr, getattr(checked, attr))
    customer.refresh_phone_digits()


# --- The duplicate rules, shared with the vCard import (sales/connect/vcards.py) ------------------------------

def looks_like_email(text):
    return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text))


def decode(raw):
    """An uploaded file's text (UTF-8, UTF-16 or the Windows encoding), never refusing it: the vCard import
    decides for itself what it can read."""
    from sales.import_files import decode as decode_table
    try:
        return decode_table(raw)
    except FileProblem:
        return raw.decode("latin-1")


def match_customer(checked, existing, created):
    """(customer, is_existing) by the import's rules — same email, phone digits or exact name: a customer on
    file, else one in `created` (an index made with remember_customer), else (None, False)."""
    found = _lookup(existing, checked)
    if found:
        return found, True
    return _lookup(created, checked) or None, False


existing_customers, remember_customer = _existing_customers, _remember


def file_rows(job):
    settings = Settings.load(job.settings)
    return read_rows(job.content, settings.delimiter)[1]


def import_rows(job, rows, importer):
    """Import every good row at once (scripts and tests; the views go chunk by chunk). Returns the counts."""
    settings = Settings.load(job.settings)
    create_new_choices(settings, importer)
    job.settings = settings.dump()
    counts = Counts()
    problems = []
    for start in range(0, len(rows), CHUNK):
        problems += import_chunk(job, rows, start, min(start + CHUNK, len(rows)), importer, counts)
        db.session.flush()
    result = json.loads(counts.dump(len({line for line, _f, _m in problems})))
    result.pop("customer_ids")
    return result
