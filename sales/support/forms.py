from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (DateField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from sales.forms import LocalDecimalField, VersionedForm

KIND_CHOICES = [("repair", _l("Repair")), ("installation", _l("Installation")),
                ("maintenance", _l("Maintenance")), ("training", _l("Training")),
                ("complaint", _l("Complaint")), ("question", _l("Question"))]
KIND_NAMES = dict(KIND_CHOICES)
STATUS_CHOICES = [("new", _l("New")), ("in_progress", _l("In progress")),
                  ("waiting_customer", _l("Waiting on customer")), ("resolved", _l("Resolved")),
                  ("closed", _l("Closed"))]
STATUS_NAMES = dict(STATUS_CHOICES)
PRIORITY_CHOICES = [("urgent", _l("Urgent")), ("high", _l("High")), ("normal", _l("Normal")), ("low", _l("Low"))]
PRIORITY_NAMES = dict(PRIORITY_CHOICES)
ROOT_CAUSE_CHOICES = [("", "—"), ("product_defect", _l("Product defect")), ("installation", _l("Installation")),
                      ("delivery", _l("Delivery")), ("service", _l("Our service")),
                      ("communication", _l("Communication")), ("price", _l("Price")), ("other", _l("Other"))]
ROOT_CAUSE_NAMES = dict(ROOT_CAUSE_CHOICES[1:])
PROMISE_KIND_CHOICES = [("delivery", _l("Delivery")), ("installation", _l("Installation")),
                        ("training", _l("Training")), ("other", _l("Other"))]
PROMISE_KIND_NAMES = dict(PROMISE_KIND_CHOICES)


class TicketForm(FlaskForm):
    order_line_id = SelectField(_l("Product sold"), coerce=int, validate_choice=True,
                                description=_l("The warranty is decided from this sale."))
    serial_number = StringField(_l("Serial number"), validators=[Optional(), Length(max=80)])
    kind = RadioField(_l("Type"), choices=KIND_CHOICES, default="repair")
    priority = RadioField(_l("Priority"), choices=PRIORITY_CHOICES, default="normal")
    title = StringField(_l("What is it about?"), validators=[DataRequired(message=_l("Write a short title.")),
                                                             Length(max=200)],
                        description=_l("A short line, e.g. “Rear brake squeaks”."))
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=5000)])
    assignee_id = SelectField(_l("Assigned to"), coerce=int, validate_choice=True)


class TicketUpdateForm(VersionedForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    priority = SelectField(_l("Priority"), choices=PRIORITY_CHOICES)
    assignee_id = SelectField(_l("Assigned to"), coerce=int, validate_choice=True)
    # Only complaints show this field; other tickets post without it, so a missing value is fine.
    root_cause = SelectField(_l("Root cause"), choices=ROOT_CAUSE_CHOICES, validate_choice=False,
                             description=_l("For complaints: why it happened. Needed to resolve one."))
    resolution = TextAreaField(_l("Resolution"), validators=[Optional(), Length(max=5000)])


class WarrantyForm(FlaskForm):
    decision = RadioField(_l("Warranty decision"), default="",
                          choices=[("", _l("As the sale says")), ("covered", _l("Covered")),
                                   ("billable", _l("Billable"))])
    reason = StringField(_l("Why"), validators=[Optional(), Length(max=300)],
                         description=_l("Required when you change the decision, e.g. “Goodwill: loyal customer”."))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(message=_l("Write something first.")),
                                                    Length(max=5000)])
    visibility = RadioField(_l("Who sees it"), default="internal",
                            choices=[("internal", _l("Internal note (staff only)")),
                                     ("public", _l("Reply to the customer"))])


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo"), description=_l("On a tablet this opens the camera. JPEG, PNG, WebP or HEIC, "
                                                  "up to 8 MB."))


class ChargeForm(FlaskForm):
    kind = RadioField(_l("Kind"), default="part", choices=[("part", _l("Part")), ("labour", _l("Labour"))])
    description = StringField(_l("Description"), validators=[DataRequired(message=_l("Describe the part or the "
                                                                                     "work.")),
                                                             Length(max=300)])
    quantity = LocalDecimalField(_l("Quantity"), places=3, default=1,
                            validators=[InputRequired(message=_l("How many?")), NumberRange(min=0.001)],
                            description=_l("Hours for labour."))
    unit_price = LocalDecimalField(_l("Unit price"), places=2,
                                   validators=[InputRequired(message=_l("Write the price.")), NumberRange(min=0)])


class CustomerReplyForm(FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[DataRequired(message=_l("Write your message first.")),
                                                         Length(max=5000)])


SCALE_5 = [(str(n), str(n)) for n in range(1, 6)]
SCALE_10 = [(str(n), str(n)) for n in range(0, 11)]


class SurveyForm(FlaskForm):
    expectation = RadioField(_l("Before: what did you expect from us?"), choices=SCALE_5, coerce=int,
                             validators=[InputRequired(message=_l("Choose a number from 1 to 5."))],
                             description=_l("1 = very little, 5 = a great deal."))
    experience = RadioField(_l("After: what did you get?"), choices=SCALE_5, coerce=int,
                            validators=[InputRequired(message=_l("Choose a number from 1 to 5."))],
                            description=_l("1 = very little, 5 = a great deal."))
    csat = RadioField(_l("Overall, how satisfied are you?"), choices=SCALE_5, coerce=int,
                      validators=[InputRequired(message=_l("Choose a number from 1 to 5."))],
                      description=_l("1 = not at all, 5 = completely."))
    nps = RadioField(_l("How likely are you to recommend us to a friend?"), choices=SCALE_10, coerce=int,
                     validators=[InputRequired(message=_l("Choose a number from 0 to 10."))],
                     description=_l("0 = not at all likely, 10 = extremely likely."))
    comment = TextAreaField(_l("Anything you want to tell us?"), validators=[Optional(), Length(max=3000)])


class SlaForm(FlaskForm):
    urgent = IntegerField(_l("Urgent"), validators=[InputRequired(), NumberRange(min=1, max=2000)])
    high = IntegerField(_l("High"), validators=[InputRequired(), NumberRange(min=1, max=2000)])
    normal = IntegerField(_l("Normal"), validators=[InputRequired(), NumberRange(min=1, max=2000)])
    low = IntegerField(_l("Low"), validators=[InputRequired(), NumberRange(min=1, max=2000)])


class MaintenancePlanForm(FlaskForm):
    order_line_id = SelectField(_l("Product sold"), coerce=int, validate_choice=True)
    every_months = IntegerField(_l("Every how many months"), default=12,
                                validators=[InputRequired(), NumberRange(min=1, max=120)])
    next_due_on = DateField(_l("Next visit"), validators=[InputRequired(message=_l("Choose a date."))])
    notes = StringField(_l("What to do"), validators=[Optional(), Length(max=300)],
                        description=_l("e.g. “Service, brake pads, chain”."))


class PromiseForm(FlaskForm):
    order_id = SelectField(_l("Order"), coerce=int, validate_choice=True)
    kind = RadioField(_l("Promise"), choices=PROMISE_KIND_CHOICES, default="delivery")
    description = StringField(_l("What was promised"),
                              validators=[DataRequired(message=_l("Write what was promised.")), Length(max=300)])
    due_on = DateField(_l("By"), validators=[InputRequired(message=_l("Choose a date."))])
    seller_id = SelectField(_l("Who keeps it"), coerce=int, validate_choice=True)
