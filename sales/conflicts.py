"""Two people changing the same thing at the same instant is an answer (409), never an error page.

Views that edit a versioned record compare the version the form was loaded at and show the field-by-field
difference themselves. Whatever slips past them lands here: a StaleDataError (the row changed between our read
and our write) or a lost race on a unique key or a reference (two people creating the same thing, or one deleting
what the other points at), raised anywhere in a request. Nothing was saved; the page keeps every value the person
sent, ready to send again with one press, and links to the record as it stands now.
"""
from urllib.parse import urlsplit

from flask import jsonify, render_template, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from sales.htmx import wants_fragment

# PostgreSQL's codes for a unique key taken, and for a referenced row that is gone (or a row still referenced).
_RACE_SQLSTATES = {"23505", "23503"}
# Not worth sending back: the stale token and version are replaced by fresh ones on the page.
_NOT_RESENT = {"csrf_token", "version", "_draft"}


def is_lost_race(error: IntegrityError) -> bool:
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return sqlstate in _RACE_SQLSTATES
    text = str(original)
    return text.startswith("UNIQUE constraint failed") or text.startswith("FOREIGN KEY constraint failed")


def typed_values():
    """What the person sent, in the order they sent it: [(name, value)], repeated names kept."""
    return [(name, value) for name, value in request.form.items(multi=True) if name not in _NOT_RESENT]


def same_site_referrer():
    """The page of this site the request came from (for a conflict, the record as it is now), or None."""
    referrer = request.referrer
    if referrer and urlsplit(referrer).netloc == request.host:
        return referrer
    return None


def conflict_response():
    db.session.rollback()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"error": 409, "message": "changed by someone else meanwhile; nothing was saved"}), 409
    values = typed_values()
    context = {"values": values, "action": request.full_path if request.query_string else request.path,
               "back": same_site_referrer(), "had_files": bool(request.files), "fragment": wants_fragment()}
    if context["fragment"]:
        body = render_template("errors/_conflict.html", **context)
    else:
        body = render_template("errors/conflict.html", **context)
    response = (body, 409, {"Vary": "HX-Request"})
    return response


def register(app):
    @app.errorhandler(StaleDataError)
    def stale_data(error):
        return conflict_response()

    @app.errorhandler(IntegrityError)
    def integrity(error):
        if not is_lost_race(error):
            db.session.rollback()
            raise error
        return conflict_response()
