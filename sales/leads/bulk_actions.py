"""Bulk actions on leads: reassign, move to a stage, close as lost — many at once, each lead changed exactly as
the single-lead views change it (the same domain functions, so every lead gets its stage history and audit-log
rows), and undone within ten minutes.

Who may change which lead is sales/records.py's decision (`changeable`): rows outside it are never touched,
only counted, so the confirmation can say how many were left out.
"""
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _, ngettext
from sqlalchemy import func, select, update

from extensions import db
from models import BulkAction, Lead, PipelineStage
from sales import records
from sales.clock import utcnow
from sales.leads import rules
from sales.leads.stages import move_to_stage
from sales.negotiation.rules import close_lost

UNDO_WINDOW = timedelta(minutes=10)
ACTIONS = ("reassign", "move", "lose")
# What each action changes on a lead, so the undo knows what to put back.
FIELDS = {
    "reassign": ("seller_id",),
    "move": ("stage_id",),
    "lose": ("stage_id", "won_amount", "lost_reason", "lost_to_id", "close_reason"),
}


def selection(user, statement=None, ids=()):
    """(leads the user may change, how many selected ones they may not) — the chosen ids, or every lead of the
    list's `statement` (the current filter, all its pages)."""
    if statement is not None:
        chosen = statement.with_only_columns(Lead.id).order_by(None)
        selected = db.session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    else:
        # Every ticked id that is not changed counts as left out, whether the user may see it or not (and
        # whether it exists): the count then tells nothing about other sellers' leads.
        chosen, selected = list(ids), len(set(ids))
    leads = db.session.scalars(select(Lead).where(Lead.id.in_(chosen), records.changeable(Lead, user))
                               .order_by(Lead.id)).all()
    return leads, selected - len(leads)


def _value(lead, field):
    value = getattr(lead, field)
    return str(value) if field == "won_amount" and value is not None else value


def apply(user, action, leads, *, stage=None, seller=None, lost_reason=None):
    """Change every lead in `leads` (already checked by `selection`), one by one through the same functions as the
    single-lead views; returns the stored BulkAction (not yet committed)."""
    before = {lead.id: {field: _value(lead, field) for field in FIELDS[action]} for lead in leads}
    for lead in leads:
        if action == "reassign":
            lead.seller_id = seller.id
        elif action == "move":
            move_to_stage(lead, stage, user_id=user.id)
        else:
            close_lost(lead, lost_reason, None, None, None, None, user.id,
                       goal=_("Deal lost: %(title)s", title=lead.title))
        rules.refresh_priority(lead)
    db.session.flush()  # the versions after the change: an undo restores only leads still at them
    count = len(leads)
    if action == "reassign":
        summary = ngettext("%(num)d lead reassigned to %(name)s.", "%(num)d leads reassigned to %(name)s.",
                           count, name=seller.name)
    elif action == "move":
        summary = ngettext("%(num)d lead moved to %(stage)s.", "%(num)d leads moved to %(stage)s.",
                           count, stage=stage.name)
    else:
        summary = ngettext("%(num)d lead closed as lost.", "%(num)d leads closed as lost.", count)
    bulk = BulkAction(user_id=user.id, entity=Lead.__tablename__, action=action, summary=summary,
                      records={str(lead.id): {"before": before[lead.id], "version": lead.version}
                               for lead in leads})
    db.session.add(bulk)
    db.session.flush()
    return bulk


def undoable(bulk, now=None):
    return bulk.undone_at is None and (now or utcnow()) - bulk.at <= UNDO_WINDOW


def get_own_action_or_404(action_id, user):
    """A bulk action is its author's to see and undo; anyone else's is simply not there."""
    from flask import abort

    bulk = db.session.get(BulkAction, action_id)
    if bulk is None or bulk.user_id != user.id or bulk.entity != Lead.__tablename__:
        abort(404)
    return bulk


def undo(user, bulk):
    """Put every lead back as it was before `bulk`, except those changed since (by anyone) or no longer the
    user's to change: (restored leads, leads left as they are), or None when it was undone already. Each
    restore is a normal change again — its own stage history and audit rows."""
    # Claimed with one conditional UPDATE, so two taps on Undo (or two tablets) cannot both restore.
    claimed = db.session.execute(update(BulkAction).where(BulkAction.id == bulk.id, BulkAction.undone_at.is_(None))
                                 .values(undone_at=utcnow()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return None
    db.session.expire(bulk, ["undone_at"])
    entries = bulk.records
    leads = {lead.id: lead for lead in db.session.scalars(
        select(Lead).where(Lead.id.in_([int(i) for i in entries]), records.changeable(Lead, user)))}
    restored, kept = [], []
    for key, entry in sorted(entries.items(), key=lambda item: int(item[0])):
        lead = leads.get(int(key))
        if lead is None or lead.version != entry["version"]:
            kept.append(lead or int(key))
            continue
        before = entry["before"]
        for field, value in before.items():
            if field == "stage_id":
                stage = db.session.get(PipelineStage, value)
                if stage is not None:
                    move_to_stage(lead, stage, user_id=user.id)
            elif field == "won_amount":
                lead.won_amount = Decimal(value) if value is not None else None   # kept as text in JSON
            else:
                setattr(lead, field, value)
        rules.refresh_priority(lead)
        restored.append(lead)
    return restored, kept


def assignees(user, sellers=None):
    """Sellers a bulk reassignment may hand leads to: the same choice the lead form gives this user.
    `sellers`: rules.sellers(), when the page has read them already."""
    if user.role == "owner":
        return rules.sellers() if sellers is None else list(sellers)
    if user.is_manager:
        return records.assignees(user, rules.sellers() if sellers is None else sellers)
    return [user]  # a seller works their own leads: only the owner or a team's manager hands them on


def seller_named(user, seller_id):
    return next((u for u in assignees(user) if u.id == seller_id), None) if seller_id else None

