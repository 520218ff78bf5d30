"""Nothing typed is lost to an expired session: a form that arrives after the session (or its CSRF token)
expired is kept in the database, and after signing in again the person gets it back, ready to send.

The draft is found only by its unguessable token, which travels in the redirect to the browser that sent the
form; once someone signed in opens it, it is theirs alone. Drafts last a day, and one address may leave only
so many (the form could come from anyone, signed in or not).
"""
import json
import secrets
from datetime import timedelta
from typing import Optional

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, func, select
from werkzeug.exceptions import RequestEntityTooLarge

from extensions import db
from models import FormDraft, utcnow
from sales.forms import EmptyForm
from sales.policy import public

bp = Blueprint("drafts", __name__, url_prefix="/drafts")

KEEP_HOURS = 24
MAX_CHARACTERS = 200_000
MAX_PER_ADDRESS = 30
NOT_KEPT = {"csrf_token", "_draft"}


def keep() -> Optional[str]:
    """Store the form of this request; its token, or None when there is nothing (or too much) to keep."""
    if (request.endpoint or "").startswith("accounts."):
        return None             # sign-in and password forms: a password is never written down
    values = typed_values()
    if not values or sum(len(name) + len(value) for name, value in values) > MAX_CHARACTERS:
        return None
    db.session.rollback()
    since = utcnow() - timedelta(hours=KEEP_HOURS)
    address = (request.remote_addr or "?")[:64]
    db.session.execute(delete(FormDraft).where(FormDraft.created_at < since))
    recent = db.session.scalar(select(func.count()).select_from(FormDraft)
                               .where(FormDraft.address == address, FormDraft.created_at >= since))
    if recent >= MAX_PER_ADDRESS:
        db.session.commit()
        return None
    token = secrets.token_urlsafe(32)
    db.session.add(FormDraft(token=token, path=request.full_path if request.query_string else request.path,
                             fields=json.dumps(values), address=address,
                             user_id=current_user.id if current_user.is_authenticated else None))
    db.session.commit()
    return token


def answer_expired_form():
    """Keep the form and send the browser to it: straight to the sign-in page (which then opens it) when the
    session is gone and the form was for signed-in people, else to the kept form itself."""
    token = keep()
    if token is None:
        return None
    target = url_for("drafts.show", token=token)
    if not current_user.is_authenticated and not _is_public(request.path):
        target = url_for("accounts.login", next=target, why="expired")
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def typed_values():
    """What this request's form holds, as a kept draft would hold it (no token, never a password)."""
    return [(name, value) for name, value in request.form.items(multi=True)
            if name not in NOT_KEPT and "password" not in name]


def _find(token) -> FormDraft:
    draft = db.session.scalar(select(FormDraft).where(
        FormDraft.token == token, FormDraft.created_at >= utcnow() - timedelta(hours=KEEP_HOURS)))
    if draft is None or (draft.user_id is not None and
                         (not current_user.is_authenticated or draft.user_id != current_user.id)):
        abort(404)
    return draft


def _is_public(path) -> bool:
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _values = adapter.match(path.split("?", 1)[0], method="POST")
    except Exception:  # noqa: BLE001  (no such route any more: treat it as needing a sign-in)
        return False
    return getattr(current_app.view_functions.get(endpoint), "is_public", False)


@bp.route("/<token>")
@public
def show(token):
    draft = _find(token)
    if not current_user.is_authenticated and not _is_public(draft.path):
        return redirect(url_for("accounts.login", next=request.path, why="expired"), 303)
    if draft.user_id is None and current_user.is_authenticated:
        draft.user_id = current_user.id       # from now on, only theirs
        db.session.commit()
    return render_template("drafts/show.html", draft=draft, values=json.loads(draft.fields))


@bp.route("/<token>/discard", methods=["POST"])
def discard(token):
    draft = _find(token)
    if not EmptyForm().validate_on_submit():
        abort(400)
    db.session.delete(draft)
    db.session.commit()
    flash(_("What you had typed is thrown away."), "success")
    return redirect(url_for("pages.home"), 303)


@bp.after_app_request
def forget_sent_draft(response):
    """A draft sent again and accepted (saved, or answered with a page that keeps it) is done."""
    if request.method != "POST" or response.status_code >= 400:
        return response
    try:
        token = request.form.get("_draft")
    except RequestEntityTooLarge:
        return response           # a form over the size limit is never read, so it was no draft sent again
    if token:
        db.session.execute(delete(FormDraft).where(FormDraft.token == token))
        db.session.commit()
    return response
