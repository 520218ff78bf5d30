from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from sales.forms import SingleLine
from sales.languages import NAMES, enabled_languages, language_choices

MIN_PASSWORD = 10

BROWSER_LANGUAGE = ("", _l("Same as the browser"))
# Every language a person may have chosen (the history names them); the form offers the shop's (StaffLanguageField).
LANGUAGE_CHOICES = [BROWSER_LANGUAGE, *NAMES.items()]


def language_code(value):
    # Anything but a language the shop offers means "same as the browser", which is stored as None.
    return value if value in enabled_languages() else ""


class StaffLanguageField(SelectField):
    """The language a person reads Mostrador in: one the shop offers, or the browser's."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, default="", coerce=language_code, validate_choice=False, **kwargs)
        self.choices = [BROWSER_LANGUAGE, *language_choices()]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class NewPasswordMixin:
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD, message=_l("Use at least %(min)d characters."))],
        description=_l("At least %(min)d characters. A short sentence is easy to remember.", min=MIN_PASSWORD),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class SetupForm(NewPasswordMixin, FlaskForm):
    shop_name = StringField(_l("Shop name"), validators=[SingleLine(), Optional(), Length(max=120)])
    name = StringField(_l("Your name"), validators=[SingleLine(), DataRequired(), Length(max=120)])
    email = EmailField(_l("Your email"), validators=[DataRequired(), Email(), Length(max=254)])
    language = StaffLanguageField(_l("Language"))
    demo = BooleanField(_l("Fill the shop with demo data (a small bicycle shop) to try things out"))


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class AccountForm(FlaskForm):
    name = StringField(_l("Name"), validators=[SingleLine(), DataRequired(), Length(max=120)])
    language = StaffLanguageField(_l("Language"))


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
