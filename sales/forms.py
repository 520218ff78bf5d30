"""Form pieces shared by every blueprint."""
import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_babel import lazy_gettext as _l
import wtforms
from wtforms import DecimalField, HiddenField
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput


def _render_hidden_without_id(meta, field, render_kw):
    """Hidden fields have no label, so they need no id: a board with 35 forms would repeat id="csrf_token"."""
    if field.type in ("HiddenField", "CSRFTokenField"):
        render_kw = {"id": False, **render_kw}
    return _render_field(meta, field, render_kw)


# Every form of the app inherits FlaskForm's Meta, so the rule is set there once, on WTForms' rendering hook.
_render_field = FlaskForm.Meta.render_field
FlaskForm.Meta.render_field = _render_hidden_without_id
class SingleLine:
    """For text that ends up in an email header (a subject, a person's or the shop's name): a line break would
    end the header there, so it is refused where it is typed."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if field.data and any(c in field.data for c in "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"):
            raise ValidationError(self.message or _l("Keep this on one line."))


class EmptyForm(FlaskForm):
    """For button-only POSTs (archive, sign out…): it carries the CSRF token and nothing else."""


class VersionedForm(FlaskForm):
    """A form editing a TrackedMixin record: it carries the version it was loaded at."""

    version = HiddenField()

    def loaded_version(self):
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


# The database's integers are 64-bit; amounts have at most 12 digits before the point.
LARGEST_INTEGER = 2 ** 63 - 1
LARGEST_AMOUNT = Decimal("1e12")


class IntegerField(wtforms.IntegerField):
    """A whole number that fits the database: a longer one is a field error, never a crash further on."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > LARGEST_INTEGER:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


class LocalDecimalField(DecimalField):
    """A number typed the way the user writes it: "1.234,50" in Spanish, "1,234.50" in English, or plain.

    A text box, not type=number: browsers refuse "12,50" in a number box on an English system.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip().replace(" ", "").replace("\u00a0", "").replace("€", "")
        try:
            self.data = parse_local_decimal(raw)
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
        if abs(self.data) >= LARGEST_AMOUNT:
            self.data = None
            raise ValueError(_l("This number is too large."))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(self.data, format="#0.##", locale=get_locale())


def parse_local_decimal(raw):
    """Parse "12,50", "12.50", "1.234,56", "1,234.56"; with both separators the last one is the decimal one."""
    if "," in raw and "." in raw:
        decimal_sep = "," if raw.rfind(",") > raw.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        raw = raw.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in raw:
        locale = str(get_locale() or "en")
        head, _sep, tail = raw.rpartition(",")
        # "1,234" is a thousand in English; "12,5" and "1234,56" are decimals everywhere.
        if locale.startswith("en") and len(tail) == 3 and raw.count(",") >= 1 and head.replace(",", "").isdigit():
            raw = raw.replace(",", "")
        else:
            raw = raw.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"[-+]?\d+(\.\d+)?", raw):
        raise ValueError(raw)
    return Decimal(raw)
