from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from sales.forms import LocalDecimalField

METRIC_NAMES = {"revenue": _l("Revenue"), "deals_won": _l("Deals won"), "new_leads": _l("New leads"),
                "contacts": _l("Contacts made")}


class GoalForm(FlaskForm):
    seller_id = SelectField(_l("Seller"), coerce=int, validate_choice=True)
    period = SelectField(_l("Period"), validate_choice=True)
    revenue = LocalDecimalField(_l("Revenue"), validators=[Optional(), NumberRange(min=0)],
                                description=_l("Amount of deals won. Leave empty for no goal."))
    deals_won = LocalDecimalField(_l("Deals won"), validators=[Optional(), NumberRange(min=0)])
    new_leads = LocalDecimalField(_l("New leads"), validators=[Optional(), NumberRange(min=0)])
    contacts = LocalDecimalField(_l("Contacts made"), validators=[Optional(), NumberRange(min=0)])


class CommissionRuleForm(FlaskForm):
    seller_id = SelectField(_l("For"), coerce=int, validate_choice=True)
    category = SelectField(_l("Product category"), validate_choice=True)
    percent = LocalDecimalField(_l("Commission (%)"), validators=[InputRequired(message=_l("Give a percentage.")),
                                                                  NumberRange(min=0, max=100)])
    threshold = LocalDecimalField(_l("Only on sales above"), validators=[Optional(), NumberRange(min=0)],
                                  description=_l("Per period, before tax. Leave empty to pay on every sale."))
