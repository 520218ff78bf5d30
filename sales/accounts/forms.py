from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from sales.forms import SingleLine

MIN_PASSWORD = 10

LANGUAGE_CHOICES = [("", _l("Same as the browser")), ("en", "English"), ("es", "Español")]


def language_code(value):
    # Anything but a known language means "same as the browser", which is stored as None.
    from sales.languages import available_languages

    return value if value in available_languages() else ""


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
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="", coerce=language_code,
                           validate_choice=False)
    demo = BooleanField(_l("Fill the shop with demo data (a small bicycle shop) to try things out"))


class SetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class AccountForm(FlaskForm):
    name = StringField(_l("Name"), validators=[SingleLine(), DataRequired(), Length(max=120)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="", coerce=language_code,
                           validate_choice=False)


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
