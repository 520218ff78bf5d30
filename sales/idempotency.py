"""Stored exactly once: a form carries a key made when it was shown (`idempotency_key`); the record it creates is
stored with that key, and the same key sent again — the tablet's outbox retrying after a dropped connection,
a double tap — finds the record already there instead of storing a second one.

The key and the record go into the database in one transaction; (person, key) is the table's primary key, so
two copies racing each other cannot both commit.
"""
import re
import secrets

from flask import request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import SubmissionKey

FIELD = "idempotency_key"
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_key():
    """For the hidden field of a form that creates a record."""
    return secrets.token_hex(16)


def sent_key():
    """The key the form came with, or None (an old page, a script): such a form is simply stored."""
    key = (request.form.get(FIELD) or "").strip()
    return key if _SHAPE.match(key) else None


def stored_before(kind, model):
    """The record this form's key already created, or None."""
    key = sent_key()
    if key is None:
        return None
    row = db.session.get(SubmissionKey, (current_user.id, key))
    if row is None or row.kind != kind:
        return None
    return db.session.get(model, row.record_id)


def claim(kind, record, model):
    """Write the key beside the new record (flushed), before anything else is done with it. Returns None, or —
    when a copy of this form with the same key got in first (PostgreSQL makes this insert wait for that copy's
    transaction) — rolls back and returns the copy's record."""
    key = sent_key()
    if key is None:
        return None
    db.session.add(SubmissionKey(key=key, user_id=current_user.id, kind=kind, record_id=record.id))
    try:
        db.session.flush()
        return None
    except IntegrityError as error:
        return _earlier(kind, model, error)


def commit_once(kind, model):
    """Commit; if a copy with the same key still got in first (SQLite sees it only here), roll back and return
    that copy's record. Returns None when this commit stored it."""
    try:
        db.session.commit()
        return None
    except IntegrityError as error:
        return _earlier(kind, model, error)


def _earlier(kind, model, error):
    db.session.rollback()
    earlier = stored_before(kind, model)
    if earlier is None:
        raise error  # another constraint failed: not a copy of this form
    return earlier
