"""The owner's own fields on customers and leads: text, number, date, choice or yes/no.

A record keeps its values in its `custom` JSON column as text in one canonical form per kind — numbers as plain
decimals ("1100.04"), dates in ISO form ("1996-01-31"), yes/no as "yes"/"no", a choice as the choice itself — so
lists can filter on them in SQL on SQLite and PostgreSQL alike, and exports write them back as imports read them.
"""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from models import CustomField
from sales import numbers, texts
from sales.matching import match_key
from sales.texts import N_

KIND_CHOICES = [("text", _l("Text")), ("number", _l("Number")), ("date", _l("Date")), ("choice", _l("Choice")),
                ("yes_no", _l("Yes / no"))]
ENTITY_CHOICES = [("customer", _l("Customers")), ("lead", _l("Leads"))]
YES = ("yes", "y", "si", "s", "true", "1", "x", "verdadero")
NO = ("no", "n", "false", "0", "falso")
# A column with at most this many different values (and repeats) is read as a choice.
MAX_CHOICES = 12
# Numbers a field keeps: beyond this nobody means a count or an amount.
LARGEST = 10 ** 15


def active_fields(entity):
    return db.session.scalars(select(CustomField).where(CustomField.entity == entity, CustomField.active)
                              .order_by(CustomField.position, CustomField.id)).all()


def all_fields(entity):
    return db.session.scalars(select(CustomField).where(CustomField.entity == entity)
                              .order_by(CustomField.active.desc(), CustomField.position, CustomField.id)).all()


def key_for(label):
    return re.sub(r"[^a-z0-9]+", "_", match_key(label)).strip("_")[:40] or "field"


def define(entity, label, kind="text", choices=None):
    """A new field (its key made unique from its label); the caller commits."""
    taken = set(db.session.scalars(select(CustomField.key).where(CustomField.entity == entity)))
    base = key = key_for(label)
    number = 1
    while key in taken:
        number += 1
        key = f"{base[:36]}_{number}"
    position = (db.session.scalar(select(func.max(CustomField.position))
                                  .where(CustomField.entity == entity)) or 0) + 10
    field = CustomField(entity=entity, key=key, label=label.strip()[:80], kind=kind,
                        choices="\n".join(choices) if choices else None, position=position)
    db.session.add(field)
    db.session.flush()
    return field


def parse(field, text, notation=None, keep_problem=False):
    """(stored value or None when blank, problem or None): a person's or a file's text in the field's form.
    `keep_problem`: the problem as a stored text (sales/texts.py), for an import's report read later.

    A typed number is read by the rules of the person's language; a file's in the file's `notation`
    (sales/numbers.py), which its import says."""
    def problem(msgid, **params):
        return texts.stored(msgid, **params) if keep_problem else _(msgid, **params)

    text = (text or "").strip()
    if not text:
        return None, None
    if field.kind == "number":
        try:
            value = (numbers.parse_amount(text, get_locale()) if notation is None
                     else numbers.parse_file_number(text, notation))
        except numbers.AmountError as error:
            if notation is None:        # typed: say what it may have meant, in the person's notation
                from sales.forms import amount_error_message
                return None, amount_error_message(error, get_locale())
            return None, problem(N_("“%(value)s” is not a number."), value=text)
        if abs(value) >= LARGEST:
            return None, problem(N_("“%(value)s” is not a number."), value=text)
        return format(value.normalize(), "f"), None
    if field.kind == "date":
        from sales.leads.imports import SANE_YEARS, parse_date
        day = parse_date(text, "dmy")
        if day is None or not SANE_YEARS[0] <= day.year <= SANE_YEARS[1]:
            return None, problem(N_("“%(value)s” is not a date (e.g. 2017-03-01 or 1/3/2017)."), value=text)
        return day.isoformat(), None
    if field.kind == "yes_no":
        key = match_key(text)
        if key in YES:
            return "yes", None
        if key in NO:
            return "no", None
        return None, problem(N_("“%(value)s” is not yes or no."), value=text)
    if field.kind == "choice":
        for choice in field.choice_list:
            if match_key(choice) == match_key(text):
                return choice, None
        return None, problem(N_("“%(value)s” is not one of: %(choices)s."), value=text,
                             choices=", ".join(field.choice_list))
    return text[:500], None


def shown(field, stored):
    """A stored value as a person reads it."""
    if stored in (None, ""):
        return ""
    if field.kind == "number":
        return format_decimal(Decimal(stored))
    if field.kind == "date":
        from datetime import date
        return format_date(date.fromisoformat(stored))
    if field.kind == "yes_no":
        return _("Yes") if stored == "yes" else _("No")
    return stored


def form_text(field, stored):
    """A stored value as a form input shows it: numbers in the person's notation, so that saving the form
    again reads them back unchanged (dates stay ISO for <input type=date>)."""
    if stored in (None, ""):
        return ""
    if field.kind == "number":
        from sales.forms import format_amount_for_input
        try:
            return format_amount_for_input(Decimal(stored), None, get_locale())
        except InvalidOperation:
            return stored
    return stored


def read_form(fields, formdata, current=None):
    """(values, errors) from the `cf-<key>` inputs of a form; values merge into the record's own. With errors
    the values hold what was typed, to show the form again; they must not be saved."""
    values, errors = dict(current or {}), {}
    for field in fields:
        name = f"cf-{field.key}"
        if name not in formdata:
            continue
        stored, problem = parse(field, formdata.get(name))
        if problem:
            errors[field.key] = problem
            values[field.key] = formdata.get(name)   # shown again as typed; never saved with an error
        elif stored is None:
            values.pop(field.key, None)
        else:
            values[field.key] = stored
    return values, errors


def condition(model, field, text):
    """A filter on one custom field: the same value (text fields: containing the words), or None when the text
    is not a value of the field."""
    column = model.custom[field.key].as_string()
    if field.kind == "text":
        from sales.search import contains
        return contains(column, text) if text.strip() else None
    stored, problem = parse(field, text)
    return None if problem or stored is None else column == stored


def guess_kind(values, notation):
    """(kind, choices) that fit every value of an imported column whose numbers are written in `notation`."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return "text", None

    def all_parse(kind):
        probe = CustomField(kind=kind)
        return all(parse(probe, v, notation)[1] is None for v in values)

    if all_parse("yes_no"):
        return "yes_no", None
    if all(re.fullmatch(r"[-+]?[\d.,]+", v) for v in values) and all_parse("number"):
        return "number", None
    if all_parse("date"):
        return "date", None
    distinct = sorted({v for v in values}, key=lambda v: match_key(v))
    if len(distinct) <= MAX_CHOICES and len(values) >= 2 * len(distinct):
        return "choice", distinct
    return "text", None
