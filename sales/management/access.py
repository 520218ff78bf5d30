"""Whose numbers a user may see: the owner everyone's, a seller only their own. Checked here, once."""
from flask import abort
from flask_login import current_user

from extensions import db
from models import User


def get_seller_or_404(seller_id):
    """The person whose numbers are asked for, or 404 (nobody) / 403 (someone else's, for a seller)."""
    person = db.session.get(User, seller_id)
    if person is None or person.role not in ("owner", "seller"):
        abort(404)
    if not current_user.is_owner and person.id != current_user.id:
        abort(403)
    return person


def seller_from_args(args):
    """?seller=<id>: the person asked for. Without it the owner sees the whole shop (None), a seller themself."""
    raw = args.get("seller", "")
    if raw.isdigit():
        return get_seller_or_404(int(raw))
    if raw:
        abort(404)
    return None if current_user.is_owner else db.session.get(User, current_user.id)
