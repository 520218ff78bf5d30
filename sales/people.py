"""The users a page names (sellers, authors of contacts, who moved a stage), loaded in one query."""
from flask import g, has_request_context
from sqlalchemy import select

from extensions import db
from models import User


def load_users(ids):
    """Put the users with these ids in the session with one statement: each record's `seller`, `user`,
    `changed_by`… then resolves from the session's identity map without a query of its own."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    # The ones already in the session (the signed-in user) need no query.
    missing = [i for i in wanted if db.session.identity_map.get(db.session.identity_key(User, i)) is None]
    if missing:
        loaded = db.session.scalars(select(User).where(User.id.in_(missing))).all()
        if has_request_context():
            # The identity map holds objects weakly: kept alive for this request only, never beyond it.
            g.setdefault("named_users", []).extend(loaded)
    return {i: db.session.identity_map.get(db.session.identity_key(User, i)) for i in wanted}
