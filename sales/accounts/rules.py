"""Sign-in rules: loading the user from the session, throttling failed logins, one-time password links."""
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, make_response, redirect, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, delete, func, select, update
from werkzeug.security import check_password_hash

from extensions import db
from models import LoginAttempt, User, hash_password, normalise_email, utcnow


def load_user(session_id):
    # The id carries the user's session token: changing the password or deactivating ends old sessions.
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    from sales.accounts.sessions import session_is_open, user_and_session

    user, row = user_and_session(int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user if session_is_open(row) else None


def unauthorized():
    if request.method == "POST":
        from sales.drafts import answer_expired_form

        answer = answer_expired_form()
        if answer is not None:
            return answer
    login_url = url_for("accounts.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request") == "true":
        # Never swap a login page into a table cell: send the whole browser there.
        response = make_response("", 200)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def is_safe_next(target):
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def has_users():
    return db.session.scalar(select(func.count()).select_from(User)) > 0


def find_user_by_email(email):
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


WEB_FORM_KEY = "web-form"   # LoginAttempt.email of the public web form's posts (sales/leads/capture.py)
_dummy_hash = None


def waste_a_password_check(password):
    """As long as checking a real password: the answer for an unknown email must not come back sooner (M6)."""
    global _dummy_hash
    if _dummy_hash is None:
        # The same scheme and cost as real accounts; made once, it is no secret.
        _dummy_hash = hash_password(secrets.token_hex(16))
    check_password_hash(_dummy_hash, password or "")


# --- Throttling -------------------------------------------------------------------------------------------


def lockout_minutes_left(email, address):
    """Minutes until another try is allowed for this account or this address, or 0 when allowed now."""
    cfg = current_app.config
    window = timedelta(minutes=cfg["LOGIN_LOCKOUT_MINUTES"])
    since = utcnow() - window
    checks = (
        (LoginAttempt.email == normalise_email(email or ""), cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
        # Web-form posts share the table under their own key and their own quota: they never lock a login.
        (and_(LoginAttempt.address == address, LoginAttempt.email != WEB_FORM_KEY),
         cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    )
    latest_block = None
    for condition, limit in checks:
        times = db.session.scalars(
            select(LoginAttempt.at).where(condition, LoginAttempt.at >= since)
            .order_by(LoginAttempt.at.desc()).limit(limit)
        ).all()
        if len(times) >= limit:
            # Blocked until the oldest of the last `limit` failures leaves the window.
            unblock = times[-1] + window
            latest_block = max(latest_block or unblock, unblock)
    if latest_block is None:
        return 0
    seconds = (latest_block - utcnow()).total_seconds()
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


def record_failure(email, address):
    db.session.add(LoginAttempt(email=normalise_email(email or ""), address=address))
    # Old attempts are only noise: keep a day.
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - timedelta(days=1)))
    db.session.commit()


def clear_failures(email):
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == normalise_email(email)))


def authenticate(email, password, address):
    """Return (user, error message, HTTP status). The message never says whether the email exists."""
    minutes = lockout_minutes_left(email, address)
    if minutes:
        return None, _(
            "Too many failed sign-in attempts. For your security, try again in %(minutes)d minutes.",
            minutes=minutes,
        ), 429
    user = find_user_by_email(email)
    if user is None or not user.has_password:
        waste_a_password_check(password)
    if user is None or not user.check_password(password):
        record_failure(email, address)
        return None, _("That email and password do not match. Check them and try again."), 422
    if not user.active:
        return None, _("This account has been deactivated. Ask the shop owner."), 422
    clear_failures(email)
    # A plain UPDATE: signing in is not an edit of the user, so it must not bump the record's version.
    db.session.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))
    db.session.commit()
    return user, None, 200


# --- One-time set-password links ------------------------------------------------------------------------


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def password_token(user):
    # Bound to the current session token, which set_password() rotates: the link works once.
    return _serializer().dumps({"u": user.id, "t": user.session_token})


def user_from_password_token(token):
    max_age = current_app.config["SET_PASSWORD_LINK_HOURS"] * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        return None, "expired"
    except BadSignature:
        return None, "invalid"
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or user.session_token != data.get("t"):
        return None, "used"
    return user, None
