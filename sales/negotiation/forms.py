from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from sales.forms import LocalDecimalField

OBJECTION_CHOICES = [("price", _l("Price")), ("timing", _l("Timing")), ("need", _l("Need")),
                     ("competitor", _l("Competitor")), ("trust", _l("Trust")), ("authority", _l("Authority")),
                     ("other", _l("Other"))]
OBJECTION_NAMES = dict(OBJECTION_CHOICES)
CONCESSION_CHOICES = [("discount", _l("Discount")), ("delivery", _l("Delivery")),
                      ("payment_terms", _l("Payment terms")), ("extra_service", _l("Extra service")),
                      ("other", _l("Other"))]
CONCESSION_NAMES = dict(CONCESSION_CHOICES)
LOST_REASON_CHOICES = [("price", _l("Price")), ("competitor", _l("Went to a competitor")),
                       ("no_budget", _l("No budget")), ("no_decision", _l("No decision")),
                       ("timing", _l("Timing")), ("other", _l("Other"))]
LOST_REASON_NAMES = dict(LOST_REASON_CHOICES)
ROLE_CHOICES = [("decides", _l("Decides")), ("influences", _l("Influences")), ("uses", _l("Will use it")),
                ("pays", _l("Pays"))]
ROLE_NAMES = dict(ROLE_CHOICES)
STANCE_CHOICES = [("supporter", _l("For us")), ("neutral", _l("Neutral")), ("opponent", _l("Against us")),
                  ("unknown", _l("Unknown"))]
STANCE_NAMES = dict(STANCE_CHOICES)


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(message=_l("Write the note first.")),
                                                 Length(max=5000)])


class ObjectionForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=OBJECTION_CHOICES, default="price")
    customer_words = TextAreaField(_l("In the customer's words"), validators=[
        DataRequired(message=_l("Write what the customer said.")), Length(max=3000)])
    answer = TextAreaField(_l("Our answer"), validators=[Optional(), Length(max=3000)])
    resolved = BooleanField(_l("Resolved: the customer accepted the answer"))


class AnswerObjectionForm(FlaskForm):
    answer = TextAreaField(_l("Our answer"), validators=[DataRequired(message=_l("Write the answer given.")),
                                                         Length(max=3000)])
    resolved = BooleanField(_l("Resolved: the customer accepted the answer"))


class ConcessionForm(FlaskForm):
    kind = SelectField(_l("What"), choices=CONCESSION_CHOICES, default="discount")
    description = StringField(_l("Conceded"), validators=[
        DataRequired(message=_l("Say what was conceded.")), Length(max=300)])
    value = LocalDecimalField(_l("Its value"), places=2, validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter an amount of 0 or more."))])
    in_return = StringField(_l("What we got in return"), validators=[Optional(), Length(max=300)])


class DealCompetitorForm(FlaskForm):
    competitor_id = SelectField(_l("Competitor"), coerce=int)
    new_competitor = StringField(_l("…or a new one"), validators=[Optional(), Length(max=120)])
    offer = StringField(_l("Their offer"), validators=[Optional(), Length(max=300)])
    offer_value = LocalDecimalField(_l("Offer amount"), places=2, validators=[Optional(), NumberRange(min=0)])
    strengths = StringField(_l("Their strengths"), validators=[Optional(), Length(max=300)])


class DecisionMakerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Write the person's name.")),
                                               Length(max=160)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="decides")
    stance = SelectField(_l("Stance"), choices=STANCE_CHOICES, default="unknown")
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=300)])


class CloseForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), choices=[("won", _l("Won")), ("lost", _l("Lost"))],
                         validators=[DataRequired(message=_l("Choose won or lost."))])
    won_amount = LocalDecimalField(_l("Amount won"), places=2, validators=[
        Optional(), NumberRange(min=0, max=10_000_000)])
    lost_reason = SelectField(_l("Why was it lost?"), choices=[("", "—")] + LOST_REASON_CHOICES, default="")
    lost_to_id = SelectField(_l("Lost to"), coerce=int, default=0)
    note = StringField(_l("In a few words"), validators=[Optional(), Length(max=300)])
    follow_up_on = DateField(_l("Follow up on"), validators=[
        DataRequired(message=_l("Pick a date: delivery, a check-in, or the next chance to sell."))])
    follow_up = StringField(_l("What next?"), validators=[
        DataRequired(message=_l("Say what happens next (e.g. deliver and check it works).")), Length(max=300)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.outcome.data == "won" and self.won_amount.data is None and not self.won_amount.errors:
            self.won_amount.errors.append(_l("Enter the amount won."))
            ok = False
        if self.outcome.data == "lost":
            if not self.lost_reason.data:
                self.lost_reason.errors.append(_l("Choose why the deal was lost."))
                ok = False
            elif self.lost_reason.data == "competitor" and not self.lost_to_id.data:
                self.lost_to_id.errors.append(_l("Choose the competitor who won it."))
                ok = False
        return ok


class ReopenForm(FlaskForm):
    stage_id = SelectField(_l("Back to stage"), coerce=int)
    reason = StringField(_l("Why reopen?"), validators=[DataRequired(message=_l("Say why the deal is reopened.")),
                                                        Length(max=300)])


class CompetitorForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    strengths = TextAreaField(_l("Their strengths"), validators=[Optional(), Length(max=2000)])
    weaknesses = TextAreaField(_l("Their weaknesses"), validators=[Optional(), Length(max=2000)])
