"""Customer import: accounts from a spreadsheet or another CRM, with every column it has.

Columns are matched to the customer's own fields; any other column becomes one of the owner's custom fields
(an existing one with the same name, or a new one whose kind — number, date, yes/no, choice or text — is read from
its values). A customer already on file (same ID from an earlier import, else the same email, phone or name, by the
duplicate rules of the deal import) is updated with the file's values (an empty cell changes nothing), only has its
blanks filled (merge), or the row is skipped, as the person chooses.

Like the deal import it goes in steps (sales.import_jobs): every row is checked first, and the page shows what the
import will create, update and leave unchanged, and each line's problems, before anything is written; then the rows
are imported chunk by chunk, by the page or by the cron, and the report says N created, M updated, K unchanged.
"""
import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from models import Customer, CustomField
from sales import custom_fields, phones
from sales.import_files import read_table
from sales.languages import available_languages, language_from_text, language_name
from sales.matching import match_key
from sales.numbers import number_reading, shop_file_notation
from sales.texts import N_, stored as stored_text

# Customer fields and the header words that suggest them (English and Spanish, other CRMs' names).
TARGETS = (
    ("external_id", ("customer id", "id del cliente", "account id", "account_id", "id", "ref", "código cliente")),
    ("name", ("name", "nombre", "account", "cuenta", "customer", "cliente", "company", "empresa", "razón social")),
    ("kind", ("kind", "tipo", "type")),
    ("contact_person", ("contact person", "persona de contacto", "contact", "contacto")),
    ("tax_id", ("tax id", "nif/cif", "nif", "cif", "vat", "vat number")),
    ("email", ("email", "e-mail", "correo", "mail")),
    ("phone", ("phone", "teléfono", "telefono", "tel")),
    ("mobile", ("mobile", "móvil", "movil", "cell")),
    ("street", ("street", "calle", "address", "dirección", "direccion")),
    ("postal_code", ("postal code", "código postal", "codigo postal", "zip", "cp")),
    ("city", ("city", "ciudad", "localidad", "town")),
    ("region", ("region", "provincia", "state")),
    ("country", ("country", "país", "pais")),
    ("language", ("language", "idioma", "lang", "locale")),
    ("notes", ("notes", "notas", "comments")),
)
LENGTHS = {"external_id": 80, "name": 160, "contact_person": 160, "tax_id": 40, "email": 254, "phone": 40,
           "mobile": 40, "street": 200, "postal_code": 20, "city": 100, "region": 100, "country": 100}
NEW_FIELD = "new"
SKIP = ""


def _header_words(target, words):
    """The names a column of `target` goes by: the words above, and the customer export's own name for it in every
    language Mostrador speaks (a German shop's export says "Sprache"), so an export always imports back."""
    from sales.exports import CUSTOMER_COLUMNS

    names = set(words)
    label = dict(CUSTOMER_COLUMNS).get(target)
    if label is not None:
        for code in available_languages():
            with force_locale(code):
                names.add(str(label))
    return {match_key(name) for name in names}


def guess_mapping(header):
    """{column index: target}: customer fields by their names, custom fields by label, the rest new fields."""
    mapping, used = {}, set()
    for target, words in TARGETS:
        names = _header_words(target, words)
        for index, name in enumerate(header):
            if index not in mapping and target not in used and match_key(name) in names:
                mapping[index] = target
                used.add(target)
                break
    existing = {match_key(f.label): f for f in custom_fields.all_fields("customer")}
    for index, name in enumerate(header):
        if index not in mapping and name.strip():
            found = existing.get(match_key(name))
            mapping[index] = f"cf:{found.key}" if found else NEW_FIELD
    return mapping


@dataclass
class Settings:
    mapping: dict = field(default_factory=dict)    # column index (as text) -> target, "cf:<key>", "new" or ""
    delimiter: str = ","
    duplicates: str = "update"                     # update, merge (fill blanks only) or skip a customer on file
    kind: str = "person"                           # what the rows are when no column says: person or company
    number_notation: str = ""                      # comma (1.234,56) or point (1,234.56), read from the file
    numbers_ambiguous: bool = False
    number_notation_chosen: bool = False
    language: str = ""                             # the person's, for the problems the cron writes
    forecast: dict = field(default_factory=dict)   # what the check found the import will do (Counts)

    @classmethod
    def load(cls, text):
        data = json.loads(text) if text else {}
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def dump(self):
        return json.dumps(self.__dict__)

    def needs_number_choice(self):
        return self.numbers_ambiguous and not self.number_notation_chosen


def refresh_numbers(header, rows, settings):
    """Re-read how the file writes the numbers of the columns that are (or will become) custom fields."""
    values = []
    for index, target in settings.mapping.items():
        column = int(index)
        if target == NEW_FIELD or target.startswith("cf:"):
            values += [row[column].strip() for row in rows[:2000]
                       if column < len(row) and re.fullmatch(r"[-+]?[\d.,]+", row[column].strip())]
    reading = number_reading(values, default=shop_file_notation())
    if not settings.number_notation_chosen:
        settings.number_notation = reading["notation"]
    settings.numbers_ambiguous = reading["ambiguous"]


def create_new_fields(header, rows, settings):
    """Make the custom fields the mapping asks for, their kinds read from the column's values."""
    for index, target in list(settings.mapping.items()):
        if target == NEW_FIELD:
            column = int(index)
            values = [row[column] for row in rows if column < len(row)]
            kind, choices = custom_fields.guess_kind(values, settings.number_notation or shop_file_notation())
            created = custom_fields.define("customer", header[column], kind, choices)
            settings.mapping[index] = f"cf:{created.key}"


CHUNK = 2000
UPDATE, MERGE, SKIP_ROW = "update", "merge", "skip"


def table(job):
    settings = Settings.load(job.settings)
    header, rows, _delimiter = read_table(job.content, settings.delimiter)
    return header, rows


def file_rows(job):
    return table(job)[1]


def fields_for(header, rows, settings):
    """{key: field} the mapping reads into: the owner's fields, and (before the import creates them) the new
    ones the mapping asks for, with the kind their values will get, so the check reads the values as the import
    will."""
    fields = {f.key: f for f in custom_fields.all_fields("customer")}
    for index, target in settings.mapping.items():
        if target == NEW_FIELD:
            column = int(index)
            kind, choices = custom_fields.guess_kind([row[column] for row in rows if column < len(row)],
                                                     settings.number_notation or shop_file_notation())
            fields[f"new-{index}"] = CustomField(entity="customer", key=f"new-{index}", label=header[column],
                                                 kind=kind, choices="\n".join(choices) if choices else None)
    return fields


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    @classmethod
    def load(cls, text):
        return cls(**{k: v for k, v in json.loads(text or "{}").items() if k in cls.__dataclass_fields__})

    def dump(self, problems=0):
        return json.dumps({**self.__dict__, "problems": problems})


def changes_for(customer, values, custom, settings):
    """{attribute: new value} importing the row makes to a customer on file. Update (the default) writes every
    value the file has — an empty cell changes nothing; merge only fills what the customer lacks."""
    changes = {}
    kind_in_file = "kind" in settings.mapping.values()
    for attr, value in values.items():
        if (attr == "kind" and not kind_in_file) or not value:
            continue
        current = getattr(customer, attr, None)
        if attr == "external_id" and current is None and value == f"mostrador-{customer.id}":
            continue            # this shop's own export, coming back: the ID it was given is its own
        if settings.duplicates == MERGE and current:
            continue
        if current != value:
            changes[attr] = value
    stored = dict(getattr(customer, "custom", None) or {})
    merged = dict(stored)
    for key, value in custom.items():
        if settings.duplicates == MERGE and merged.get(key) not in (None, ""):
            continue
        merged[key] = value
    if merged != stored:
        changes["custom"] = merged
    return changes


def run_rows(rows, start, end, header, settings, fields, counts, importer=None):
    """Go through rows[start:end] as the import does, adding to `counts`; returns the problems. With an
    `importer` the customers are created and updated; without, nothing is written (the check's forecast)."""
    existing = _index(db.session.scalars(select(Customer).where(Customer.archived_at.is_(None))))
    problems = []
    for line, row in enumerate(rows[start:end], start=start + 2):
        if not any(cell.strip() for cell in row):
            continue
        values, custom, found = _read_row(line, row, settings, fields, header)
        if not values.get("name"):
            found.append((line, stored_text(N_("name")), stored_text(N_("No customer name."))))
        if found:
            problems += found
            continue
        customer = _find(existing, values)
        if customer is not None and settings.duplicates == SKIP_ROW:
            counts.skipped += 1
            continue
        if customer is None:
            counts.created += 1
            if importer is not None:
                customer = Customer(**values, custom=custom or None,
                                    owner_id=importer.id if importer.role == "seller" else None)
                db.session.add(customer)
                customer.refresh_phone_digits()
            else:   # a stand-in, so a later row of the file for the same customer is forecast as an update
                customer = SimpleNamespace(id=None, custom=custom or None, phone_digits=phones.search_digits(
                    values.get("phone"), values.get("mobile")), **{"external_id": None, "email": None, **values})
            _remember(existing, customer)
            continue
        changes = changes_for(customer, values, custom, settings)
        if not changes:
            counts.unchanged += 1
            continue
        counts.updated += 1
        if importer is not None:
            for attr, value in changes.items():
                setattr(customer, attr, value)
            customer.refresh_phone_digits()
            _remember(existing, customer)
    return problems


def check_chunk(job, rows, start, end):
    header, _rows = table(job)
    settings = Settings.load(job.settings)
    return run_rows(rows, start, end, header, settings, fields_for(header, rows, settings), Counts())


def after_check(job, rows):
    """Once every row is checked: what the import will do, row after row as it will (one customer twice in the
    file is created once, then updated), written to the job for the page to show before anything is."""
    header, _rows = table(job)
    settings = Settings.load(job.settings)
    forecast = Counts()
    run_rows(rows, 0, len(rows), header, settings, fields_for(header, rows, settings), forecast)
    settings.forecast = forecast.__dict__
    job.settings = settings.dump()


def prepare(job, importer):
    header, rows = table(job)
    settings = Settings.load(job.settings)
    create_new_fields(header, rows, settings)
    job.settings = settings.dump()


def import_chunk(job, rows, start, end, importer, counts):
    """Create and update the customers of rows[start:end]; the caller commits (one chunk, one transaction)."""
    header, _rows = table(job)
    settings = Settings.load(job.settings)
    problems = run_rows(rows, start, end, header, settings, fields_for(header, rows, settings), counts, importer)
    db.session.flush()
    return problems


def _read_row(line, row, settings, fields, header):
    values, custom, problems = {}, {}, []
    for index, target in settings.mapping.items():
        column = int(index)
        cell = row[column].strip() if column < len(row) else ""
        if not cell or not target:
            continue
        if target.startswith("cf:") or target == NEW_FIELD:
            field_ = fields.get(target[3:] if target != NEW_FIELD else f"new-{index}")
            if field_ is None:
                continue
            stored, problem = custom_fields.parse(field_, cell, settings.number_notation or shop_file_notation(),
                                                  keep_problem=True)
            if problem:
                problems.append((line, header[column], problem))
            else:
                custom[field_.key] = stored
        elif target == "kind":
            values["kind"] = "company" if match_key(cell) in ("company", "empresa", "business") else "person"
        elif target == "email":
            email = cell.lower()
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                problems.append((line, header[column], stored_text(N_("“%(value)s” is not an email address."),
                                                                 value=cell)))
            values["email"] = email
        elif target == "language":
            values["language"] = language_from_text(cell)
            if values["language"] is None:
                problems.append((line, header[column], _(
                    "“%(value)s” is not a language Mostrador speaks: write one of %(languages)s.", value=cell,
                    languages=", ".join(language_name(code) for code in available_languages()))))
        elif target in ("phone", "mobile"):
            # As the customer form stores it (E.164 when valid), so a number on file compares equal.
            values[target] = phones.stored_form(cell)[:LENGTHS[target]]
        elif target in LENGTHS or target == "notes":
            values[target] = cell[:LENGTHS.get(target, 5000)]
    values.setdefault("kind", settings.kind)
    return values, custom, problems


def _index(customers):
    index = {"external_id": {}, "email": {}, "phone": {}, "name": {}}
    for customer in customers:
        _remember(index, customer)
    return index


def _remember(index, customer):
    if customer.external_id:
        index["external_id"].setdefault(customer.external_id, customer)
    if customer.email:
        index["email"].setdefault(customer.email.lower(), customer)
    for digits in (customer.phone_digits or "").split():
        index["phone"].setdefault(digits, customer)
    index["name"].setdefault(customer.name.lower(), customer)


def _find(index, values):
    digits = [phones.match_digits(values.get(attr)) for attr in ("phone", "mobile")]
    return ((values.get("external_id") and index["external_id"].get(values["external_id"]))
            or (values.get("email") and index["email"].get(values["email"]))
            or next((index["phone"][d] for d in digits if len(d) >= 6 and d in index["phone"]), None)
            or index["name"].get(values["name"].lower()))


def target_choices():
    """[(value, label)] of what a column can be: the customer's fields, the custom fields, a new one, nothing."""
    labels = {"external_id": _("Customer ID in the file"), "name": _("Name"), "kind": _("Type (person or company)"),
              "contact_person": _("Contact person"), "tax_id": _("Tax ID"), "email": _("Email"),
              "phone": _("Phone"), "mobile": _("Mobile"), "street": _("Street and number"),
              "postal_code": _("Postal code"), "city": _("City"), "region": _("Region"), "country": _("Country"),
              "language": _("Language"), "notes": _("Notes")}
    choices = [(target, labels[target]) for target, _words in TARGETS]
    choices += [(f"cf:{f.key}", _("Custom field: %(label)s", label=f.label))
                for f in custom_fields.all_fields("customer")]
    return choices
