from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, DateTimeLocalField, EmailField, HiddenField,
                     RadioField, SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from flask_wtf import FlaskForm

from sales.clock import shop_today
from sales.languages import enabled_languages, language_name, shop_language
from sales.list_names import with_name
from sales.forms import IntegerField, LocalDecimalField, ShopDateTimeField, SingleLine, VersionedForm, phone_number

SOURCE_CHOICES = [
    ("walk_in", _l("Walk-in")), ("phone", _l("Phone")), ("web_form", _l("Web form")),
    ("referral", _l("Referral")), ("campaign", _l("Campaign")), ("csv_import", _l("CSV import")),
    ("email", _l("Email")), ("whatsapp", _l("WhatsApp")), ("other", _l("Other")),
]
SOURCE_NAMES = dict(SOURCE_CHOICES)

CHANNEL_CHOICES = [
    ("visit", _l("Visit")), ("call", _l("Call")), ("meeting", _l("Meeting")), ("email", _l("Email")),
    ("letter", _l("Letter")), ("direct_mail", _l("Direct mail")), ("phone_inquiry", _l("Phone inquiry")),
    ("chat", _l("Chat")), ("whatsapp", _l("WhatsApp")),
]
# Closing a deal records its "what next?" as a note: named too, though nobody picks it from the form.
CHANNEL_NAMES = dict(CHANNEL_CHOICES, note=_l("Note"))

RATING_CHOICES = [("", _l("Not rated")), ("1", _l("Low")), ("2", _l("Medium")), ("3", _l("High"))]
QUALIFICATION_CHOICES = [("pending", _l("Not decided yet")), ("qualified", _l("Qualified")),
                         ("disqualified", _l("Disqualified"))]
INQUIRY_KIND_CHOICES = [("availability", _l("Is it available?")), ("price", _l("What does it cost?")),
                        ("delivery", _l("When can it be delivered?")), ("other", _l("Something else"))]
INQUIRY_KIND_NAMES = dict(INQUIRY_KIND_CHOICES)


def not_in_the_past(form, field):
    if field.data and field.data < shop_today():
        raise ValidationError(_l("This date is in the past."))


def rating(value):
    return int(value) if value not in (None, "", "None") else None


class LeadForm(VersionedForm):
    # Either an existing customer (customer_id) or a new prospect typed here.
    customer_id = HiddenField()
    customer_q = StringField(_l("Customer"), validators=[Optional(), Length(max=160)],
                             description=_l("Type a name, email or phone and choose the customer."))
    prospect_name = StringField(_l("Name"), validators=[SingleLine(), Optional(), Length(max=160)])
    prospect_email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    prospect_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), phone_number])

    title = StringField(_l("What do they want?"), validators=[
        DataRequired(message=_l("Say in a few words what the customer wants.")), Length(max=200)],
        description=_l("e.g. “E-bike for commuting”, “Fleet of 6 cargo bikes”."))
    source = SelectField(_l("Source"), choices=SOURCE_CHOICES, default="walk_in")
    estimated_value = LocalDecimalField(_l("Estimated value"), places=2, validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter an amount between 0 and 10,000,000."))])
    expected_close_date = DateField(_l("Expected close date"), validators=[Optional()])
    seller_id = SelectField(_l("Seller"), coerce=int)
    description = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    competitor_involved = BooleanField(_l("A competitor is also offering"))
    competitor_note = StringField(_l("Which competitor, what offer"), validators=[Optional(), Length(max=300)])
    decision_deadline = DateField(_l("They decide by"), validators=[Optional()])


class QualificationForm(VersionedForm):
    need_rating = RadioField(_l("Need"), choices=RATING_CHOICES, coerce=rating, default="",
                             validate_choice=False,
                             description=_l("Do they really need what we sell?"))
    need_note = StringField(_l("Note on need"), validators=[Optional(), Length(max=300)])
    buying_power_rating = RadioField(_l("Buying power"), choices=RATING_CHOICES, coerce=rating, default="",
                                     validate_choice=False, description=_l("Can they pay for it?"))
    buying_power_note = StringField(_l("Note on buying power"), validators=[Optional(), Length(max=300)])
    receptivity_rating = RadioField(_l("Receptivity"), choices=RATING_CHOICES, coerce=rating, default="",
                                    validate_choice=False, description=_l("Are they open to hearing from us?"))
    receptivity_note = StringField(_l("Note on receptivity"), validators=[Optional(), Length(max=300)])
    access_rating = RadioField(_l("Ease of access"), choices=RATING_CHOICES, coerce=rating, default="",
                               validate_choice=False, description=_l("Can we reach the person who decides?"))
    access_note = StringField(_l("Note on access"), validators=[Optional(), Length(max=300)])
    qualification = RadioField(_l("Decision"), choices=QUALIFICATION_CHOICES, default="pending")
    qualification_reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        # Checked here, not as a field validator: Optional() would skip an empty reason.
        if self.qualification.data == "disqualified" and not (self.qualification_reason.data or "").strip():
            self.qualification_reason.errors.append(_l("Say why the lead is disqualified."))
            ok = False
        for name in ("need_rating", "buying_power_rating", "receptivity_rating", "access_rating"):
            value = getattr(self, name).data
            if value not in (None, 1, 2, 3):
                getattr(self, name).errors.append(_l("Choose low, medium or high."))
                ok = False
        return ok


class MoveForm(FlaskForm):
    stage_id = SelectField(_l("Move to"), coerce=int)


class ContactForm(FlaskForm):
    channel = SelectField(_l("Kind of contact"), choices=CHANNEL_CHOICES, default="call")
    happened_at = ShopDateTimeField(_l("When"), validators=[InputRequired(message=_l("Say when it happened."))])
    lead_id = SelectField(_l("About the lead"), coerce=int, validate_choice=True)
    goal = StringField(_l("Goal"), validators=[
        DataRequired(message=_l("Write what you want from this contact.")), Length(max=300)],
        description=_l("What do I want from this conversation?"))
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), Length(max=5000)],
                            description=_l("What happened, what they said."))
    next_step = StringField(_l("Next step"), validators=[Optional(), Length(max=300)])
    next_step_due = DateField(_l("Next step due"), validators=[Optional()])
    completes = HiddenField()  # the earlier next step this contact carries out

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        # A next step needs a date and a date needs a step (checked here: Optional() skips empty fields).
        step, due = (self.next_step.data or "").strip(), self.next_step_due.data
        if step and not due and not self.next_step_due.errors:
            self.next_step_due.errors.append(_l("Give the next step a date."))
            ok = False
        if due and not step:
            self.next_step.errors.append(_l("Write the next step for this date, or clear the date."))
            ok = False
        return ok


class InquiryForm(FlaskForm):
    kind = RadioField(_l("They ask"), choices=INQUIRY_KIND_CHOICES, default="availability")
    product_id = SelectField(_l("Product"), coerce=int, validate_choice=True)
    question = TextAreaField(_l("Their question"), validators=[
        DataRequired(message=_l("Write down what they asked.")), Length(max=3000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Our answer"), validators=[
        DataRequired(message=_l("Write the answer you gave.")), Length(max=3000)])


class StageForm(FlaskForm):
    name = StringField(_l("Stage name"), validators=[DataRequired(), Length(max=60)])     # the shop's language
    kind = SelectField(_l("Kind"), choices=[("open", _l("Open (deal in progress)")), ("won", _l("Won")),
                                            ("lost", _l("Lost"))], default="open")

    # Set by stage_form(): the shop's language (`name`'s), and its other offered languages' name fields, optional
    # (a blank one reads as the shop's name): [(language, field)], in the pickers' order.
    shop_language = None
    other_names = ()

    def names(self, current=None) -> dict:
        """The stage's {language: name} after this form: `current` with the shop's name and every other
        language's that was sent (one not sent, by a script or an older page, keeps its name)."""
        names = with_name(current, self.shop_language, self.name.data)
        for code, field in self.other_names:
            if field.raw_data:
                names = with_name(names, code, field.data)
        return names


def stage_form(prefix, stage=None, submitted=True):
    """The stage form with one name field per language the shop offers, its own first; `submitted` reads the
    request's form, else it shows `stage` (or nothing, for a new one)."""
    shop, offered = shop_language(), enabled_languages()
    others = [code for code in offered if code != shop]

    class Form(StageForm):
        shop_language = shop

    for code in others:
        setattr(Form, f"name_{code}", StringField(_l("Stage name (%(language)s)", language=language_name(code)),
                                                  validators=[Optional(), Length(max=60)]))
    names = (stage.names or {}) if stage is not None else {}
    shown = {} if stage is None else {"name": names.get(shop) or stage.name, "kind": stage.kind,
                                      **{f"name_{code}": names.get(code, "") for code in others}}
    form = Form(prefix=prefix) if submitted else Form(formdata=None, prefix=prefix, **shown)
    form.other_names = [(code, form[f"name_{code}"]) for code in others]
    if others:
        form.name.label.text = _l("Stage name (%(language)s)", language=language_name(shop))
    return form


class WebLeadForm(FlaskForm):
    """The public form a shop links to from its website, or shows in a frame there. It needs no session (a
    cookie of ours is a third-party cookie inside someone else's page, and browsers hold those back): a signed,
    short-lived form token stands in for the session's CSRF token (sales/leads/capture.py)."""

    class Meta:
        csrf = False

    form_token = HiddenField()

    name = StringField(_l("Your name"), validators=[SingleLine(), DataRequired(message=_l("Please tell us your name.")),
                                                     Length(max=160)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), phone_number])
    # Where the visitor is: the owner's branch rules route the lead by it.
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    interest = StringField(_l("What are you interested in?"), validators=[
        DataRequired(message=_l("Tell us briefly what you are looking for.")), Length(max=200)])
    message = TextAreaField(_l("Anything else we should know?"), validators=[Optional(), Length(max=3000)])
    # Invisible to people; bots fill every field they find.
    website = StringField("Website", validators=[Optional()])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not (self.phone.data or "").strip() and not (self.email.data or "").strip():
            self.phone.errors.append(_l("Leave an email or a phone number so we can answer you."))
            ok = False
        return ok


class SettingsForm(FlaskForm):
    sellers_see_all = BooleanField(_l("Sellers can see every seller's leads (they still change only their own)"))
    managers_see_all = BooleanField(_l("Team managers can see other teams' customers, leads, quotes, tickets and "
                                       "figures (they still change only their own team's)"))


class EmbeddingForm(FlaskForm):
    sites = TextAreaField(_l("Websites that may show the form in a frame"), validators=[Optional(), Length(max=2000)],
                          description=_l("One address per line, e.g. https://www.myshop.es. Other sites cannot "
                                         "frame it."))

    def validate_sites(self, field):
        from sales.leads.capture import parse_sites

        try:
            field.data = "\n".join(parse_sites(field.data))
        except ValueError as problem:
            raise ValidationError(str(problem)) from None
