"""Rules for managing the shop's staff accounts."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from extensions import db
from models import Branch, Team, User, normalise_email


def email_taken(email, except_id=None):
    if not (email or "").strip():
        return False
    query = select(User.id).where(func.lower(User.email) == normalise_email(email))
    if except_id is not None:
        query = query.where(User.id != except_id)
    return db.session.scalar(query) is not None


def active_owner_count():
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "owner", User.active))


def change_problem(user, new_role, new_active):
    """Why this change must be refused, or None. A shop must always keep one active owner."""
    loses_owner = user.role == "owner" and user.active and (new_role != "owner" or not new_active)
    if loses_owner and active_owner_count() <= 1:
        return _("The shop needs at least one active owner. Make someone else owner first.")
    return None


def apply_user_form(user, form):
    user.name = form.name.data.strip()
    user.email = normalise_email(form.email.data) or None
    user.role = form.role.data
    user.language = form.language.data or None
    user.team_id = form.team_id.data or None
    # The owner sees everything already; managing is for someone in a team.
    user.manages_team = bool(form.manages_team.data and user.team_id and user.role != "owner")
    if user.active and not form.active.data:
        user.deactivate()
    else:
        user.active = form.active.data


def team_choices():
    return [(0, "—")] + [(team.id, team.name) for team in db.session.scalars(select(Team).order_by(Team.name))]


def branch_choices():
    return [(0, "—")] + [(branch.id, branch.name)
                         for branch in db.session.scalars(select(Branch).order_by(Branch.name))]


def name_taken(model, name, except_id=None):
    query = select(model.id).where(func.lower(model.name) == name.strip().lower())
    if except_id is not None:
        query = query.where(model.id != except_id)
    return db.session.scalar(query) is not None
