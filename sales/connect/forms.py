from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

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
