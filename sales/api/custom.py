"""The owner's own fields of customers and leads in JSON: stored as sales/custom_fields.py keeps them (one text
form per kind), read and written here with JSON's own types. Values are checked by that module's `parse`, as
the forms and imports check them; only the notation differs — JSON numbers, or decimal strings with a point,
never a person's locale."""
import re
from decimal import Decimal

from flask import request

from sales import custom_fields
from sales.api.problems import Problem

POINT_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def active_fields(entity):
    """The active fields of `entity`, read once per request (a page of 100 customers asks 100 times)."""
    cache = request.environ.setdefault("mostrador.custom_fields", {})
    if entity not in cache:
        cache[entity] = custom_fields.active_fields(entity)
    return cache[entity]


def values_out(entity, stored):
    """{key: JSON value} for every active field of `entity`, null when the record has none."""
    stored = stored or {}
    found = {}
    for field in active_fields(entity):
        value = stored.get(field.key)
        if value in (None, ""):
            found[field.key] = None
        elif field.kind == "yes_no":
            found[field.key] = value == "yes"
        else:
            found[field.key] = str(value)
    return found


def _as_text(field, value):
    """The sent value as the text `custom_fields.parse` reads, or (None, problem)."""
    if field.kind == "yes_no":
        if not isinstance(value, bool):
            return None, "Send true or false."
        return "yes" if value else "no", None
    if isinstance(value, bool):
        return None, "Send a string." if field.kind != "number" else "Send a number."
    if field.kind == "number":
        if isinstance(value, Decimal):
            return format(value, "f"), None
        if not POINT_DECIMAL.fullmatch(value.strip()):
            return None, "Send a number: a JSON number, or a decimal string with a point (1100.04)."
        return value.strip(), None
    if isinstance(value, Decimal):
        return None, "Send a string."
    if field.kind == "date" and not ISO_DAY.fullmatch(value.strip()):
        return None, "Write the day as YYYY-MM-DD."
    return value, None


def values_in(entity, sent, current=None):
    """The record's new `custom` value (None when empty) from the sent {key: value}, merged into `current`:
    a 422 listing every key that is no active field or whose value the field cannot take."""
    if sent is None:
        return current
    fields = {field.key: field for field in active_fields(entity)}
    values, errors = dict(current or {}), []
    for key, value in sent.items():
        pointer = f"/body/custom_fields/{key}"
        field = fields.get(key)
        if field is None:
            errors.append({"pointer": pointer, "detail": "There is no active field with this key."})
            continue
        if value is None:
            values.pop(key, None)
            continue
        text, problem = _as_text(field, value)
        if problem is None:
            text, problem = custom_fields.parse(field, text, notation="point" if field.kind == "number" else None)
            if problem is None and text is None:
                values.pop(key, None)        # a blank string empties the field, as on the form
                continue
        if problem is not None:
            errors.append({"pointer": pointer, "detail": str(problem)})
        else:
            values[key] = text
    if errors:
        raise Problem(422, "Some fields need a look.", kind="validation", errors=errors)
    return values or None
