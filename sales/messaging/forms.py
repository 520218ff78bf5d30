from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from sales.forms import IntegerField, SingleLine
from sales.texts import N_

# The msgids are also the goal stored on the contact log (sales/texts.py), shown in each reader's language.
QUICK_CHANNEL_GOALS = {"call": N_("Call from the customer"), "chat": N_("Chat message from the customer"),
                       "whatsapp": N_("They wrote on WhatsApp")}
QUICK_CHANNELS = {channel: _l(msgid) for channel, msgid in QUICK_CHANNEL_GOALS.items()}


class QuickLogForm(FlaskForm):
    note = TextAreaField(_l("Short note"), validators=[DataRequired(message=_l("Write a word or two.")),
                                                      Length(max=2000)],
                         description=_l("What they wanted, what you said."))


class ConsentForm(FlaskForm):
    email_opt_in = BooleanField(_l("Agrees to receive our mailings by email"))


CHANNEL_CHOICES = [("email", _l("Email")), ("letter", _l("Letter (printed)"))]


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the campaign a name.")),
                                               Length(max=120)],
                       description=_l("For you, e.g. “Spring service 2026”."))
    channel = RadioField(_l("Channel"), choices=CHANNEL_CHOICES, default="email")
    subject = StringField(_l("Subject"), validators=[SingleLine(), DataRequired(message=_l("Write a subject.")), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(message=_l("Write the message.")),
                                                    Length(max=10000)],
                         description=_l("{name} becomes the customer's name, {shop} the shop's."))
    segment_id = SelectField(_l("A saved segment"), coerce=int, default=0, validate_choice=True,
                             description=_l("Its customers as they stand when the campaign goes out; the filters "
                                            "below narrow it further."))
    tag = StringField(_l("Customers with the tag"), validators=[Optional(), Length(max=40)])
    city = StringField(_l("In the city"), validators=[Optional(), Length(max=100)])
    lead_source = SelectField(_l("With a lead that came from"), validate_choice=True)
    product_id = SelectField(_l("Who bought"), coerce=int, validate_choice=True)
    follow_days = IntegerField(_l("Count sales within (days)"), default=30,
                               validators=[DataRequired(), NumberRange(min=1, max=365)])
    main_language, other_languages = None, ()     # set by campaign_form_class
    # Checked against the versions written (validate): a form sent without it means the main version.
    fallback_language = SelectField(_l("Readers of other languages get"), validate_choice=False,
                                    description=_l("The version sent to customers whose language has none."))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        written = {self.main_language}
        for code, subject, body in self.version_fields():
            if subject.data and not body.data:
                body.errors.append(_("Write the message too, or leave both empty."))
            elif body.data and not subject.data:
                subject.errors.append(_("Write the subject too, or leave both empty."))
            elif subject.data:
                written.add(code)
        if not self.fallback_language.data:
            self.fallback_language.data = self.main_language
        elif self.fallback_language.data not in written:
            self.fallback_language.errors.append(_("That version is not written: choose one that is."))
        return ok and not any(field.errors for field in self)

    def version_fields(self):
        """(language, its subject field, its message field) for each language besides the main one."""
        return [(code, self[f"subject_{code}"], self[f"body_{code}"]) for code in self.other_languages]


def campaign_form_class(main_language, other_languages):
    """The campaign form with a subject and message for each offered language besides the main one's."""
    from sales.languages import language_choices

    class LanguagesCampaignForm(CampaignForm):
        pass

    for code in other_languages:
        setattr(LanguagesCampaignForm, f"subject_{code}",
                StringField(_l("Subject"), validators=[SingleLine(), Optional(), Length(max=200)]))
        setattr(LanguagesCampaignForm, f"body_{code}",
                TextAreaField(_l("Message"), validators=[Optional(), Length(max=10000)]))
    LanguagesCampaignForm.main_language = main_language
    LanguagesCampaignForm.other_languages = tuple(other_languages)

    def make(*args, **kwargs):
        form = LanguagesCampaignForm(*args, **kwargs)
        form.fallback_language.choices = language_choices()
        return form
    return make
