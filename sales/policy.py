"""Who may do what. Checked on the server for every route; templates only ask the same questions to hide
buttons a user could not use anyway."""
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

# action -> roles allowed. Finer rules that depend on the record live in can().
PERMISSIONS = {
    "customers.view": {"owner", "seller", "support"},
    "customers.edit": {"owner", "seller", "support"},
    "customers.archive": {"owner", "seller"},
    "customers.history": {"owner", "seller", "support"},
    "users.manage": {"owner"},
    "customers.import": {"owner", "seller"},
    "custom_fields.manage": {"owner"},
    # Pre-sale. Which leads a seller sees is decided per record in sales/leads/rules.py.
    "leads.view": {"owner", "seller"},
    "leads.edit": {"owner", "seller"},
    "leads.import": {"owner", "seller"},
    "pipeline.configure": {"owner"},
    "contacts.log": {"owner", "seller", "support"},
    "negotiation.reports": {"owner"},
    # Sale. Quotes are a seller's work; the owner keeps the catalog and the shop's details.
    "quotes.view": {"owner", "seller", "support"},
    "quotes.edit": {"owner", "seller"},
    "catalog.edit": {"owner"},
    "shop.settings": {"owner"},
    "inquiries.work": {"owner", "seller", "support"},
    # After-sale. Which tickets a seller sees is decided per record in sales/support/rules.py.
    "tickets.view": {"owner", "seller", "support"},
    "tickets.open": {"owner", "seller", "support"},
    "tickets.work": {"owner", "support"},
    "maintenance.plan": {"owner", "support"},
    "promises.view": {"owner", "seller", "support"},
    "promises.edit": {"owner", "seller"},
    "support.reports": {"owner"},
    "support.settings": {"owner"},
    # Collaborative CRM. Sending from a record also needs that record's own permission (quotes.edit…).
    "mail.send": {"owner", "seller", "support"},
    "mail.outbox": {"owner"},
    "campaigns.manage": {"owner", "seller"},
    "portal.manage": {"owner", "seller", "support"},
    # Management. A seller sees only their own numbers: sales/management/access.py checks the record.
    "management.view": {"owner", "seller"},
    "goals.set": {"owner"},
    "commissions.configure": {"owner"},
    "segments.use": {"owner", "seller"},
    "loyalty.view": {"owner", "seller"},
}


def can(user, action, record=None):
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if user.role not in PERMISSIONS.get(action, ()):
        return False
    if record is not None and action in RECORD_ACTIONS:
        return _record_check(action)(user, record)
    return True


# Actions whose answer also depends on the record: the rule for its kind lives in sales/records.py (imported when
# first asked: models.py imports the sales package, so records cannot be imported with this module).
RECORD_ACTIONS = ("customers.archive", "customers.edit", "portal.manage")


def _record_check(action):
    from sales import records

    return {
        # A seller archives only the customers they look after; the owner decides for the rest.
        "customers.archive": records.may_archive_customer,
        "customers.edit": records.may_change,
        "portal.manage": lambda user, customer: records.may_change(user, records.PortalLink(customer)),
    }[action]


def require(action):
    """Route decorator: 403 unless the signed-in user's role allows `action`."""
    # An action missing from the table would refuse everyone, the owner too (a merge once dropped two): fail when
    # the route is defined, not with a 403 in the shop.
    if action not in PERMISSIONS:
        raise LookupError(f"{action!r} is not in sales.policy.PERMISSIONS")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator


def public(view):
    """Mark a view that anonymous visitors may open (login, first-run setup, health check)."""
    view.is_public = True
    return view


def require_login_unless_public():
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    # The JSON API (sales/api) signs in with a personal token on every request, never with the session.
    if getattr(view, "is_public", False) or getattr(view, "is_token_authenticated", False):
        return None
    if not current_user.is_authenticated:
        from extensions import login_manager

        return login_manager.unauthorized()
    return None
