"""Personal API tokens and the per-token rate limit.

A token is `mst_` + 43 random URL-safe characters (256 bits). Only its SHA-256 is stored: a plain hash is
enough for a secret that long (no dictionary to try), and lets a request find its token in one indexed query.
A request carries it as `Authorization: Bearer mst_…` and then acts as the token's user: the role checks of
sales/policy.py and the record rules the web pages use apply unchanged.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from extensions import db
from models import ApiRateWindow, ApiToken, utcnow
from sales.api import bp
from sales.api.problems import Problem
from sales.clock import shop_today

PREFIX = "mst_"
DEFAULT_RATE_PER_MINUTE = 120

def hash_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

def create_token(user, name, expires_on=None):
    """(row, the token itself): the token is shown once and never again."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip()[:80], prefix=token[:10], token_hash=hash_of(token),
                   expires_on=expires_on)
    db.session.add(row)
    db.session.flush()
    return row, token

def tokens_of(user):
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                              .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()


def revoke(user, token_id):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return None
    row.revoked_at = utcnow()
    return row


def is_usable(row, today=None):
    today = today or shop_today()
    return (row is not None and row.revoked_at is None and (row.expires_on is None or row.expires_on >= today)
            and row.user.is_active)


def find_token(text):
    if not text.startswith(PREFIX) or len(text) > 100:
        return None
    return db.session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                             .where(ApiToken.token_hash == hash_of(text)))


def act_as(user):
    """Make `user` the request's current_user (Flask-Login keeps it in g._login_user), without a session."""
    g._login_user = user


def count_request(token, now=None):
    """Count this request in the token's current minute, in one statement; returns the count so far."""
    now = now or utcnow()
    window = now.replace(second=0, microsecond=0)
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ApiRateWindow)
    statement = (insert.values(token_id=token.id, window_start=window, count=1)
                 .on_conflict_do_update(index_elements=["token_id", "window_start"],
                                        set_={"count": ApiRateWindow.count + 1})
                 .returning(ApiRateWindow.count))
    count = db.session.execute(statement).scalar_one()
    if count == 1:
        # A new minute: note the token's use (once a minute is enough) and drop its old windows.
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.execute(ApiRateWindow.__table__.delete().where(ApiRateWindow.token_id == token.id,
                                                                   ApiRateWindow.window_start < window))
    return count, window


def _commit_keeping(token):
    """Commit the count (it stands even if the request then fails) without expiring the token and its user just
    read: reloading them would cost every request one more query, for rows that did not change."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


UNAUTHENTICATED = ("api.openapi_document", "api.docs")


@bp.before_request
def authenticate():
    if request.endpoint in UNAUTHENTICATED:
        return None
    header = request.headers.get("Authorization", "")
    challenge = {"WWW-Authenticate": 'Bearer realm="mostrador"'}
    if not header.lower().startswith("bearer "):
        raise Problem(401, "Send a personal API token: Authorization: Bearer mst_… (make one on your profile page).",
                      kind="token-missing", headers=challenge)
    token = find_token(header[7:].strip())
    if not is_usable(token):
        raise Problem(401, "This token is unknown, revoked or expired.", kind="token-invalid",
                      headers={"WWW-Authenticate": 'Bearer realm="mostrador", error="invalid_token"'})
    limit = current_app.config.get("API_RATE_PER_MINUTE", DEFAULT_RATE_PER_MINUTE)
    count, window = count_request(token)
    _commit_keeping(token)
    g.api_token_id = token.id
    g.api_rate = (limit, max(limit - count, 0), window)
    if count > limit:
        retry_after = max(1, int((window + timedelta(minutes=1) - utcnow()).total_seconds()) + 1)
        raise Problem(429, f"At most {limit} requests a minute per token. Try again in {retry_after} s.",
                      kind="rate-limited", headers={"Retry-After": str(retry_after)})
    act_as(token.user)
    return None


@bp.after_request
def rate_headers(response):
    if "api_rate" in g:
        limit, remaining, window = g.api_rate
        response.headers["RateLimit-Limit"] = str(limit)
        response.headers["RateLimit-Remaining"] = str(remaining)
        response.headers["RateLimit-Reset"] = str(max(0, int((window + timedelta(minutes=1) - utcnow())
                                                             .total_seconds())))
    response.headers["Cache-Control"] = "no-store" if current_user.is_authenticated else \
        response.headers.get("Cache-Control", "no-store")
    return response
