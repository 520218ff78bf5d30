"""Form pieces shared by every blueprint."""
from decimal import Decimal

from babel.lists import format_list
from babel.numbers import format_decimal
from flask_babel import get_locale, gettext
from flask_wtf import FlaskForm

from flask_babel import lazy_gettext as _l
import wtforms
from wtforms import DateTimeLocalField, DecimalField, HiddenField, StringField, ValidationError
from wtforms.widgets import TextInput

from sales.clock import from_shop_time, to_shop_time
from sales.numbers import AmountError, example, grouping, parse_amount
from sales.phones import PhoneError, display, normalise


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
    """A number typed the way the user writes it: "1.234,50" in Spanish, "1,234.50" in English.

    Read by `sales.numbers.parse_amount` with the rules of the user's language; text those rules reject or
    that could mean two things is a field error that names what it may have meant, and the text stays in the
    box. A text box, not type=number: browsers refuse "12,50" in a number box on an English system.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        locale = get_locale()
        try:
            self.data = parse_amount(valuelist[0], locale)
        except AmountError as error:
            raise ValueError(amount_error_message(error, locale)) from None
        if self.data is not None and abs(self.data) >= LARGEST_AMOUNT:
            self.data = None
            raise ValueError(_l("This number is too large."))
        if self.data is not None and isinstance(self.places, int) and -self.data.as_tuple().exponent > self.places \
                and self.data != round(self.data, self.places):
            # The column keeps `places` decimals: refuse "12,555 €" rather than store 12,56 € unsaid.
            raise ValueError(gettext("Use at most %(places)d decimals.", places=self.places))

    def post_validate(self, form, validation_stopped):
        # Unreadable text leaves no value, so DataRequired would say "write the price" over it: say why instead.
        if self.process_errors:
            self.errors[:] = list(self.process_errors)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_amount_for_input(self.data, self.places, get_locale())


def amount_error_message(error, locale):
    """What to tell someone whose number could not be read: the readings it may have meant, else an example."""
    if error.suggestions:
        quoted = [gettext("“%(number)s”", number=number) for number in error.suggestions]
        return gettext("Did you mean %(choices)s?", choices=format_list(quoted, style="or", locale=locale))
    return gettext("Not a number. Write it like %(example)s.", example=example(locale))


def format_amount_for_input(value, places, locale):
    """A stored number back in a text box, in the notation that reads it back unchanged: 1.200 or 12,50.

    A price keeps its cents ("12,50", not "12,5"); other numbers lose trailing zeros ("21", "0,125").
    """
    value = Decimal(str(value))   # defaults may be plain ints
    places = places if isinstance(places, int) else 4
    has_fraction = value != value.to_integral_value()
    pattern = grouping(locale) + "." + ("0" * places if places == 2 and has_fraction else "#" * places)
    return format_decimal(value, format=pattern, locale=locale)


class ShopDateTimeField(DateTimeLocalField):
    """A date and time typed on the shop's wall clock ("14:00" in Madrid); `data` is the stored UTC time.

    Whatever goes in — typed text, a record's stored time, a default of `utcnow()` — `data` is UTC, and the box
    shows it on the shop's clock.
    """

    def __init__(self, label=None, validators=None, format=("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"), **kwargs):
        super().__init__(label, validators, format=list(format), **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = from_shop_time(self.data)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return to_shop_time(self.data).strftime(self.format[0]) if self.data else ""


def phone_number(form, field):
    """Validator: a valid phone number of the shop's country, or one with its international prefix."""
    try:
        normalise(field.data)
    except PhoneError:
        raise ValidationError(gettext("This is not a valid phone number. Write it like 612 345 678, or with "
                                      "the country's prefix: +44 20 7946 0018.")) from None


class PhoneField(StringField):
    """A phone number box: a stored number (E.164) shows in the shop's national format, as people write it."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return display(self.data) if self.data else ""




class CheckboxesField(wtforms.SelectMultipleField):
    """Several choices as a group of checkboxes (templates/macros/forms.html draws it; `languages=true` there
    when the choices are languages, each named in itself)."""
