from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from sales.forms import IntegerField, LocalDecimalField

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
                                  description=_l("A month's sales, before tax. Leave empty to pay on every sale."))


class SegmentForm(FlaskForm):
    """The segment builder. Read from the query string to count (no CSRF), from a POST to save."""

    name = StringField(_l("Segment name"), validators=[Optional(), Length(max=120)])
    source = SelectField(_l("Lead source"), validate_choice=False)
    tag = SelectField(_l("Tag"), validate_choice=False)
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    min_spent = LocalDecimalField(_l("Spent at least"), validators=[Optional(), NumberRange(min=0)])
    max_spent = LocalDecimalField(_l("Spent at most"), validators=[Optional(), NumberRange(min=0)])
    purchased_within_days = IntegerField(_l("Bought in the last … days"),
                                         validators=[Optional(), NumberRange(min=0, max=36500)])
    no_purchase_for_days = IntegerField(_l("No purchase for … days"),
                                        validators=[Optional(), NumberRange(min=0, max=36500)],
                                        description=_l("Customers who bought before, but not lately."))
    bought_product = SelectField(_l("Bought the product"), coerce=lambda v: int(v) if v else None,
                                 validate_choice=False)
    bought_category = SelectField(_l("Bought from category"), validate_choice=False)
    not_bought_category = SelectField(_l("Never bought from category"), validate_choice=False)

    def filters(self) -> dict:
        from sales.management.segments import FILTER_KEYS, clean_filters

        return clean_filters({key: getattr(self, key).data for key in FILTER_KEYS})
