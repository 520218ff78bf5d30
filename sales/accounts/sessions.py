"""Signed-in sessions, kept in the database (table user_sessions), not in the app process.

The browser's cookie holds a random key; the database holds its hash, when the session started, when it was
last used and when it ends. A session ends, on every app server at once, when:
- its absolute lifetime is over (SESSION_HOURS after signing in; using it does not extend it),
- it has not been used for SESSION_IDLE_MINUTES,
- the person signs out (that session), or the owner ends it from the user's page,
- the password changes, the account is deactivated, the role changes or a new set-password link is made
  (every session of that person: see `_end_on_account_changes`).
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import delete, event, inspect, select, update
from sqlalchemy.orm import Session

from extensions import db
from models import User, UserSession, utcnow

COOKIE_KEY = "sid"
SEEN_EVERY = timedelta(minutes=1)   # last_seen_at is written at most this often: one small UPDATE a minute


def _hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user):
    """A new session row for `user`; returns what the cookie must carry (Flask-Login's keys and ours)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(user_id=user.id, key_hash=_hash(key), started_at=now, last_seen_at=now,
                               expires_at=now + timedelta(hours=current_app.config["SESSION_HOURS"]),
                               address=_address(), device=_device()))
    # Ended sessions are kept a month for the owner's page, then forgotten.
    db.session.execute(delete(UserSession).where(UserSession.ended_at < now - timedelta(days=30)))
    return {"_user_id": user.get_id(), "_fresh": True, COOKIE_KEY: key}


def sign_in(user):
    """Sign `user` in on this browser: Flask-Login's session plus a row here. Commits."""
    session.clear()   # nothing from before signing in survives (session fixation)
    login_user(user)
    values = start_session(user)
    session[COOKIE_KEY] = values[COOKIE_KEY]
    session.permanent = True
    # The CSRF token goes into the cookie signing in sends, not the first page's: otherwise that page writes
    # the cookie again, and a client still holding the sign-in cookie gets a new one on every response.
    # (The token this request already made, for the sign-in form, left with the old session.)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()
    db.session.commit()


def sign_out():
    """End this browser's session: a copy of the cookie taken before stops working too."""
    row = _row_of_cookie()
    if row is not None:
        _end(UserSession.id == row.id, "signed_out")
        db.session.commit()
    logout_user()
    session.clear()


def user_and_session(user_id):
    """The user and the cookie's session row, in one statement (the user loader runs on every request):
    (None, None) when the cookie carries no session of that user."""
    key = session.get(COOKIE_KEY)
    if not key or not isinstance(key, str):
        return None, None
    found = db.session.execute(select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
                               .where(User.id == user_id, UserSession.key_hash == _hash(key))).first()
    return (found[0], found[1]) if found else (None, None)


def session_is_open(row):
    """Called for every request by the user loader: is the cookie's session `row` still open?"""
    if row is None or row.ended_at is not None:
        return False
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    why = "expired" if now >= row.expires_at else "idle" if now - row.last_seen_at > idle else None
    if why:
        _end(UserSession.id == row.id, why)
        db.session.commit()
        return False
    if now - row.last_seen_at >= SEEN_EVERY:
        # A plain UPDATE, committed at once: reading a page is not an edit of anything.
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        db.session.commit()
    return True


def open_sessions(user):
    now = utcnow()
    return db.session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.ended_at.is_(None),
                                                        UserSession.expires_at > now)
                              .order_by(UserSession.last_seen_at.desc())).all()


def end_session(user, session_id):
    """The owner ends one of `user`'s sessions; returns whether there was such an open session."""
    ended = _end((UserSession.id == session_id) & (UserSession.user_id == user.id), "owner")
    return ended > 0


def end_all_sessions(user_id, why):
    return _end(UserSession.user_id == user_id, why)


def _end(condition, why):
    result = db.session.execute(update(UserSession).where(condition, UserSession.ended_at.is_(None))
                                .values(ended_at=utcnow(), ended_why=why))
    return result.rowcount


def _row_of_cookie():
    key = session.get(COOKIE_KEY)
    if not key or not isinstance(key, str):
        return None
    return db.session.scalar(select(UserSession).where(UserSession.key_hash == _hash(key)))


def _address():
    return (request.remote_addr or "?")[:64]


def _device():
    return (request.user_agent.string or "")[:200] or None


@event.listens_for(Session, "after_flush")
def _end_on_account_changes(flush_session, flush_context):
    """Whatever code changes a user's password, role or activity (or rotates their session token), every session
    of theirs ends in the same transaction: no view can forget it."""
    for obj in flush_session.dirty:
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        changes = [name for name in ("session_token", "role", "active")
                   if state.attrs[name].history.has_changes()]
        if changes:
            why = {"role": "role", "active": "deactivated"}.get(changes[-1], "password")
            flush_session.execute(update(UserSession).where(UserSession.user_id == obj.id,
                                                            UserSession.ended_at.is_(None))
                                  .values(ended_at=utcnow(), ended_why=why))
