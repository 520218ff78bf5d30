"""Form pieces shared by every blueprint."""
from decimal import Decimal

from babel.lists import format_list
from babel.numbers import format_decimal
from flask_babel import get_locale, gettext
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, DecimalField, HiddenField
from wtforms.widgets import TextInput

from sales.clock import from_shop_time, to_shop_time
from sales.numbers import AmountError, example, parse_amount


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
    pattern = "#,##0." + ("0" * places if places == 2 and has_fraction else "#" * places)
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
