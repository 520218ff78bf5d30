from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from sales.accounts.forms import StaffLanguageField
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
    language = StaffLanguageField(_l("Language"))
    active = BooleanField(_l("Active (can sign in)"), default=True)
    team_id = SelectField(_l("Team"), coerce=int, default=0)
    manages_team = BooleanField(_l("Manages this team (sees and works its people's work)"))


class BranchForm(VersionedForm):
    name = StringField(_l("Name"), validators=[SingleLine(), DataRequired(), Length(max=80)])
    assignment = SelectField(_l("Its new leads go to"), choices=[
        ("default", _l("Its default seller")), ("round_robin", _l("Its teams' sellers, one each in turn"))])
    default_seller_id = SelectField(_l("Default seller"), coerce=int)


class TeamForm(VersionedForm):
    name = StringField(_l("Name"), validators=[SingleLine(), DataRequired(), Length(max=80)])
    branch_id = SelectField(_l("Branch"), coerce=int)


class BranchRuleForm(FlaskForm):
    """Leads whose <field> is <value> go to <branch>."""
    field = SelectField(_l("Leads whose"), choices=[("postal_code", _l("Postal code starts with")),
                                                    ("city", _l("City is")), ("source", _l("Source is"))])
    value = StringField(_l("Value"), validators=[SingleLine(), DataRequired(), Length(max=100)])
    branch_id = SelectField(_l("go to"), coerce=int)
    # A rule has no version: the rule as the form was loaded ("field|value|branch id"), to notice a change since.
    was = HiddenField()
