from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from sales.forms import PhoneField, SingleLine, VersionedForm, phone_number
from sales.languages import available_languages, language_choices, language_name, shop_language

KIND_CHOICES = [("person", _l("Person")), ("company", _l("Company"))]


def tag_list(form, field):
    for tag in split_tags(field.data):
        if len(tag) > 40:
            raise ValidationError(_l("Each tag can have at most 40 characters: “%(tag)s” is longer.", tag=tag))


def customer_language_choices(current=None):
    """The customer form's languages: the shop's (stored as None), then those it offers; a language the customer
    has that the shop no longer offers stays listed, so saving another field keeps it."""
    offered = language_choices()
    choices = [("", _l("The shop's (%(language)s)", language=language_name(shop_language()))), *offered]
    if current and current not in dict(offered) and current in available_languages():
        choices.append((current, _l("%(language)s (no longer offered)", language=language_name(current))))
    return choices


def split_tags(text):
    seen = []
    for raw in (text or "").split(","):
        tag = " ".join(raw.split()).lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


class CustomerForm(VersionedForm):
    kind = RadioField(_l("Type"), choices=KIND_CHOICES, default="person")
    name = StringField(_l("Name"), validators=[SingleLine(), DataRequired(message=_l("Write the customer's name.")),
                                               Length(max=160)],
                       description=_l("Full name of the person, or the company's name."))
    contact_person = StringField(_l("Contact person"), validators=[SingleLine(), Optional(), Length(max=160)],
                                 description=_l("For a company: whom we talk to."))
    email = EmailField(_l("Email"), validators=[Optional(), Email(message=_l("This email address does not look "
                                                                           "right, e.g. ana@example.com.")),
                                                Length(max=254)])
    phone = PhoneField(_l("Phone"), validators=[Optional(), Length(max=40), phone_number])
    mobile = PhoneField(_l("Mobile"), validators=[Optional(), Length(max=40), phone_number])
    tax_id = StringField(_l("Tax ID"), validators=[Optional(), Length(max=40)])
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=100)])
    country = StringField(_l("Country"), validators=[Optional(), Length(max=100)])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=400), tag_list],
                       description=_l("Separate with commas, e.g. mountain, vip."))
    owner_id = SelectField(_l("Looked after by"), coerce=int, validate_choice=True)
    language = SelectField(_l("Language"), default="", validate_choice=True,
                           description=_l("What we write to them in: emails, quotes, their portal."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
