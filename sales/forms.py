"""Form pieces shared by every blueprint."""
from flask_wtf import FlaskForm
from wtforms import HiddenField


class EmptyForm(FlaskForm):
    """For button-only POSTs (archive, sign out…): it carries the CSRF token and nothing else."""


class VersionedForm(FlaskForm):
    """A form editing a TrackedMixin record: it carries the version it was loaded at."""

    version = HiddenField()

    def loaded_version(self):
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None
