from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (DateField, FieldList, Form, FormField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from sales.forms import CheckboxesField, IntegerField, LocalDecimalField, SingleLine, VersionedForm

MAX_QUANTITY = Decimal("100000")


class LineForm(Form):
    """One line of a quotation: a catalog product, or free text with its own price."""

    product_id = SelectField(_l("Product"), coerce=int, default=0, validate_choice=False)
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])
    quantity = LocalDecimalField(_l("Quantity"), places=3, validators=[Optional()])
    unit_price = LocalDecimalField(_l("Unit price"), places=2, validators=[Optional()])
    discount_percent = LocalDecimalField(_l("Discount %"), places=2, validators=[Optional()])
    tax_rate = LocalDecimalField(_l("Tax %"), places=2, validators=[Optional()])

    def is_blank(self):
        return not self.product_id.data and not (self.description.data or "").strip() and \
            self.quantity.data is None and self.unit_price.data is None


class QuoteForm(VersionedForm):
    customer_id = SelectField(_l("Customer"), coerce=int, validate_choice=False)
    lead_id = SelectField(_l("Lead"), coerce=int, default=0, validate_choice=False)
    valid_until = DateField(_l("Valid until"), validators=[DataRequired(message=_l("Pick the last day the offer holds."))])
    need = TextAreaField(_l("The need we understood"), validators=[Optional(), Length(max=3000)])
    solution = TextAreaField(_l("The solution we propose"), validators=[Optional(), Length(max=3000)])
    benefits = TextAreaField(_l("What the customer gains"), validators=[Optional(), Length(max=3000)])
    terms = TextAreaField(_l("Terms"), validators=[Optional(), Length(max=3000)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=3000)])
    lines = FieldList(FormField(LineForm), min_entries=4, max_entries=60)


class DecisionForm(FlaskForm):
    name = StringField(_l("Your full name"), validators=[
        DataRequired(message=_l("Type your name to confirm.")), Length(max=160)])
    reason = TextAreaField(_l("Why not? (optional)"), validators=[Optional(), Length(max=500)])


class ProductForm(VersionedForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=3000)])
    category = StringField(_l("Category"), validators=[Optional(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[("product", _l("Product")), ("service", _l("Service"))])
    unit = StringField(_l("Unit"), default="unit", validators=[DataRequired(), Length(max=20)])
    unit_price = LocalDecimalField(_l("Unit price"), places=2, validators=[
        DataRequired(message=_l("Write the price.")), NumberRange(min=0, max=10_000_000)])
    tax_rate = LocalDecimalField(_l("Tax %"), places=2, default=Decimal("21"), validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("A tax rate is between 0 and 100 %%."))])
    stock_on_hand = IntegerField(_l("Stock on hand"), validators=[Optional(), NumberRange(min=0)])
    warranty_months = IntegerField(_l("Warranty (months)"), validators=[Optional(), NumberRange(min=0, max=240)])
    competitor_note = TextAreaField(_l("Against competitors' offers"), validators=[Optional(), Length(max=3000)])
    active = SelectField(_l("In the catalog"), choices=[("1", _l("Yes")), ("0", _l("No, retired"))], default="1")


class ShopDocumentForm(FlaskForm):
    shop_name = StringField(_l("Shop name"), validators=[SingleLine(), DataRequired(), Length(max=120)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=400)])
    tax_id = StringField(_l("Tax ID"), validators=[Optional(), Length(max=40)])
    currency = SelectField(_l("Currency"), choices=[("EUR", "EUR €"), ("USD", "USD $"), ("GBP", "GBP £"),
                                                    ("MXN", "MXN $"), ("ARS", "ARS $"), ("CLP", "CLP $"),
                                                    ("INR", "INR ₹"), ("CHF", "CHF")])
    quote_validity_days = IntegerField(_l("Quotes are valid for (days)"), default=30,
                                       validators=[DataRequired(), NumberRange(min=1, max=365)])
    quote_terms = TextAreaField(_l("Standard terms"), validators=[Optional(), Length(max=3000)])
    quote_datasheets = SelectField(_l("Datasheets in the quote's email"), default="link",
                                   choices=[("link", _l("Linked (a short email; they open from the shop)")),
                                            ("attach", _l("Attached to the email, beside the quote's PDF"))],
                                   description=_l("Written pages are always linked."))
    logo = FileField(_l("Logo (PNG or JPEG, up to 1 MB)"), validators=[FileAllowed(["png", "jpg", "jpeg"])])


class ShopLanguagesForm(FlaskForm):
    """The languages the shop offers (each named in itself) and its own; the choices are set by the view."""

    languages = CheckboxesField(_l("Languages the shop offers"), choices=[],
                                description=_l("Staff read Mostrador in one of them, and customers are written to "
                                               "in one of them."))
    shop_language = SelectField(_l("The shop's language"), choices=[],
                                description=_l("Customers without a language of their own are written to in it."))

    def __init__(self, *args, **kwargs):
        from sales.languages import available_languages, language_name

        super().__init__(*args, **kwargs)
        self.languages.choices = self.shop_language.choices = [(code, language_name(code))
                                                               for code in available_languages()]

    def validate_shop_language(self, field):
        if field.data not in (self.languages.data or []):
            raise ValidationError(_l("The shop's language must be one of the languages it offers."))


class CatalogImportForm(FlaskForm):
    file = FileField(_l("CSV file"))
