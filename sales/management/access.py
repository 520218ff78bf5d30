"""Whose numbers a user may read in the management reports. The decision is sales/records.py's (a person's
`Figures` are a record like any other); this module turns it into the 404/403 of a report page."""
from flask import abort
from flask_login import current_user

from extensions import db
from models import User
from sales import records

SELLING_ROLES = ("owner", "seller")


def get_seller_or_404(seller_id):
    """The person whose numbers are asked for, or 404 (nobody who sells) / 403 (not theirs to read)."""
    person = db.session.get(User, seller_id)
    if person is None or person.role not in SELLING_ROLES:
        abort(404)
    if not records.may_view(current_user, records.Figures(person)):
        abort(403)
    return person


def seller_from_args(args):
    """?seller=<id>: the person asked for. Without it the owner sees the whole shop (None), a seller themself."""
    raw = args.get("seller", "")
    if raw.isdigit():
        return get_seller_or_404(int(raw))
    if raw:
        abort(404)
    return None if current_user.is_owner else get_seller_or_404(current_user.id)
