from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from models import PRODUCT_DOCUMENT_KINDS, RECORD_DOCUMENT_KINDS
from sales.documents.rules import KIND_NAMES, LANGUAGES, language_name
from sales.forms import IntegerField, SingleLine, VersionedForm


def language_choices():
    return [("", _l("— any —"))] + [(code, language_name(code)) for code in LANGUAGES]


class DocumentForm(VersionedForm):
    """A new document, or new details and content for one: a file, a photo from the camera, or a written page."""

    kind = SelectField(_l("What it is"), validate_choice=True)
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200), SingleLine()],
                        description=_l("Left empty: the kind and the product's name."))
    language = SelectField(_l("Language"), validate_choice=True, default="")
    file = FileField(_l("File"), description=_l("A PDF or a picture, up to 12 MB. Checked by its content, not its "
                                                "name; the location and camera data of photos are removed."))
    photo = FileField(_l("Or take a photo"), description=_l("On a tablet this opens the camera."))
    body = TextAreaField(_l("Or write it here"), validators=[Optional(), Length(max=20000)],
                         description=_l("A short page in plain words; an empty line starts a new paragraph."))
    every_months = IntegerField(_l("Service every how many months"), validators=[Optional(), NumberRange(1, 120)],
                                description=_l("Care instructions only: the maintenance plan of a sold product "
                                               "starts from this, and the reminder carries these instructions."))

    def __init__(self, *args, **kwargs):
        # Its fields sit on pages with forms of their own (the product's has a "kind" too): names and ids apart.
        kwargs.setdefault("prefix", "doc")
        super().__init__(*args, **kwargs)

    def for_holder(self, on_product):
        kinds = PRODUCT_DOCUMENT_KINDS if on_product else RECORD_DOCUMENT_KINDS
        self.kind.choices = [(kind, KIND_NAMES[kind]) for kind in kinds]
        self.language.choices = language_choices()
        if not self.is_submitted() and self.kind.data not in kinds:
            self.kind.data = kinds[0]
        return self
