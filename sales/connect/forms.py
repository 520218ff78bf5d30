from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from sales.clock import shop_today

DUPLICATE_CHOICES = [("merge", _l("Add what is new to the customer on file (nothing is overwritten)")),
                     ("skip", _l("Leave the contact out"))]


class VCardImportForm(FlaskForm):
    duplicates = RadioField(_l("When the customer already exists (same email, phone or name)"),
                            choices=DUPLICATE_CHOICES, default="merge")


class WebhookForm(FlaskForm):
    url = StringField(_l("Receiver URL"), validators=[DataRequired(message=_l("Type the address to send to.")),
                                                    Length(max=500)],
                      description=_l("Where your other software listens, e.g. https://shop.example/hooks/crm"))
    description = StringField(_l("What it is"), validators=[Optional(), Length(max=200)],
                              description=_l("For you, e.g. “Web shop” or “Accounting”."))
    events = SelectMultipleField(_l("Events to send"), choices=[],
                                 validators=[DataRequired(message=_l("Pick at least one event."))])

    def validate_url(self, field):
        parts = urlsplit((field.data or "").strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValidationError(_l("Type a full address starting with https:// (or http:// on the shop's "
                                     "own network)."))


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Name the token after what will use it.")),
                                               Length(max=80)],
                       description=_l("What will use it, e.g. “Web shop” or “Accountant's spreadsheet”."))
    expires_on = DateField(_l("Valid until (optional)"), validators=[Optional()],
                           description=_l("After this day the token stops working."))

    def validate_expires_on(self, field):
        if field.data and field.data < shop_today():
            raise ValidationError(_l("This date is in the past."))
