from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from sales.accounts.forms import LANGUAGE_CHOICES, language_code
from sales.forms import SingleLine, VersionedForm

ROLE_CHOICES = [("seller", _l("Seller")), ("support", _l("Support")), ("owner", _l("Owner"))]


class UserForm(VersionedForm):
    name = StringField(_l("Name"), validators=[SingleLine(), DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)],
                       description=_l("They sign in with it. A seller brought in by an import may have none yet: "
                                      "they cannot sign in until you add it."))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="seller",
                       description=_l("Sellers work leads and quotes; support handles tickets; "
                                      "owners see everything and manage users."))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="", coerce=language_code,
                           validate_choice=False)
    active = BooleanField(_l("Active (can sign in)"), default=True)
