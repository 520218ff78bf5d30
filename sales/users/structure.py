"""Removing a branch, a team or a routing rule, what that does to the people, customers and leads in it, and the
ten minutes in which the owner can take it back.

Nothing in a branch or team is deleted with it: its teams become "no branch", its customers and leads "no
branch", its people "no team" (a manager stops managing, having no team). The removal is kept as a BulkAction
(the same ten-minute undo as the leads' bulk actions, sales/leads/bulk_actions.py): the row as it was and whom
it held, so Undo brings it back with the same id and puts back in it whoever is still in none since.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from extensions import db
from models import Branch, BranchRule, BulkAction, Customer, Lead, Team, User
from sales.clock import utcnow
from sales.texts import N_, stored

ENTITIES = {"branches": Branch, "teams": Team, "branch_rules": BranchRule}
# What points at each kind, and so is set to "none" when it goes: {kind: [(model, column name)]}.
HOLDS = {
    "branches": [(Team, "branch_id"), (Customer, "branch_id"), (Lead, "branch_id")],
    "teams": [(User, "team_id")],
    "branch_rules": [],
}
KEPT_COLUMNS = {
    "branches": ("name", "assignment", "default_seller_id", "last_seller_id"),
    "teams": ("name", "branch_id"),
    "branch_rules": ("branch_id", "field", "value"),
}


def entity_of(record) -> str:
    return record.__tablename__


def held(record) -> dict[str, int]:
    """How many of each kind the record holds: {"teams": 2, "customers": 40, "leads": 75} / {"users": 4}."""
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)
                                                   .where(getattr(model, column) == record.id)) or 0
            for model, column in HOLDS[entity_of(record)]}


def consequences(record) -> list[str]:
    """What removing it does, in the owner's words, for the confirmation."""
    from flask_babel import ngettext

    counts = held(record)
    kind = entity_of(record)
    if kind == "branches":
        lines = [ngettext("%(num)d team of it becomes a team in no branch.",
                          "%(num)d teams of it become teams in no branch.", counts["teams"]),
                 ngettext("%(num)d customer is no longer in a branch.",
                          "%(num)d customers are no longer in a branch.", counts["customers"]),
                 ngettext("%(num)d lead is no longer in a branch (it keeps its seller).",
                          "%(num)d leads are no longer in a branch (they keep their sellers).", counts["leads"]),
                 ngettext("Its %(num)d routing rule is removed: new leads it would route land in no branch.",
                          "Its %(num)d routing rules are removed: new leads they would route land in no branch.",
                          len(record.rules))]
    elif kind == "teams":
        managers = sum(1 for person in record.members if person.manages_team)
        lines = [ngettext("%(num)d person in it becomes “no team”.", "%(num)d people in it become “no team”.",
                          counts["users"])]
        if managers:
            lines.append(ngettext("%(num)d manager of it no longer sees anyone else's work.",
                                  "%(num)d managers of it no longer see anyone else's work.", managers))
        lines.append(_("Their customers, leads and figures stay theirs; the reports count them under “no team”."))
    else:
        lines = [_("New leads it would route land in no branch, or in the next rule that matches. Leads already "
                   "routed stay where they are.")]
    return lines


def remove(user, record) -> BulkAction:
    """Delete the branch, team or rule (what it holds becomes "none") and keep it for ten minutes of undo."""
    kind = entity_of(record)
    kept = {"row": {column: getattr(record, column) for column in KEPT_COLUMNS[kind]}, "held": {}}
    for model, column in HOLDS[kind]:
        ids = list(db.session.scalars(select(model.id).where(getattr(model, column) == record.id)))
        kept["held"][model.__tablename__] = ids
        if ids:
            db.session.execute(update(model).where(getattr(model, column) == record.id).values({column: None})
                               .execution_options(synchronize_session=False))
    if kind == "branches":
        kept["rules"] = [{"field": rule.field, "value": rule.value} for rule in record.rules]
    name = getattr(record, "name", None) or f"{record.field} {record.value}"
    # Shown in the reader's language (sales/texts.py).
    summary = {"branches": stored(N_("Branch “%(name)s” removed."), name=name, limit=300),
               "teams": stored(N_("Team “%(name)s” removed."), name=name, limit=300),
               "branch_rules": stored(N_("Routing rule removed."))}[kind]
    bulk = BulkAction(user_id=user.id, entity=kind, action="delete", summary=summary,
                      records={str(record.id): kept})
    db.session.delete(record)
    db.session.add(bulk)
    db.session.flush()
    db.session.expire_all()
    return bulk


def get_own_removal_or_404(action_id, user):
    from flask import abort

    bulk = db.session.get(BulkAction, action_id) if isinstance(action_id, int) else None
    if bulk is None or bulk.user_id != user.id or bulk.entity not in ENTITIES or bulk.action != "delete":
        abort(404)
    return bulk


def undo(bulk):
    """Bring the removed branch, team or rule back (same id) and put back whatever is still in none: a message
    for the owner, or None when it cannot be undone (done already, or its name is taken again meanwhile)."""
    claimed = db.session.execute(update(BulkAction).where(BulkAction.id == bulk.id, BulkAction.undone_at.is_(None))
                                 .values(undone_at=utcnow()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return None
    model = ENTITIES[bulk.entity]
    (key, kept), = bulk.records.items()
    row = dict(kept["row"])
    if "name" in row and db.session.scalar(select(model.id).where(func.lower(model.name) == row["name"].lower())):
        return None
    for column in ("default_seller_id", "last_seller_id"):
        if row.get(column) is not None and db.session.get(User, row[column]) is None:
            row[column] = None
    if row.get("branch_id") is not None and db.session.get(Branch, row["branch_id"]) is None:
        if model is BranchRule:
            return None     # the rule's branch is gone too: undo that first
        row["branch_id"] = None
    # The same id, so links to it work again — unless SQLite gave that id to a new row meanwhile (it reuses the
    # highest id once deleted).
    record = model(**row) if db.session.get(model, int(key)) is not None else model(id=int(key), **row)
    db.session.add(record)
    db.session.flush()
    for rule in kept.get("rules", []):
        db.session.add(BranchRule(branch_id=record.id, **rule))
    for model_held, column in HOLDS[bulk.entity]:
        ids = kept["held"].get(model_held.__tablename__, [])
        if ids:
            # Only those still in none: whoever was put in another team or branch meanwhile stays there.
            db.session.execute(update(model_held).where(model_held.id.in_(ids), getattr(model_held, column)
                                                                .is_(None)).values({column: record.id})
                                       .execution_options(synchronize_session=False))
    db.session.expire_all()
    return _("Undone: “%(name)s” is back as it was.", name=getattr(record, "name", None) or record.value)
