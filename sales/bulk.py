"""Many records at once: inserting rows fast, and the lists' bulk actions with their ten minutes of undo.

Bulk actions ("move these 37 leads to Proposal", "tag these 200 customers", "close these 30 tickets") work the
same on every list, so they live here once; each list says only what its records are and how one of them
changes, in a `Kind` (sales/leads/bulk_actions.py, sales/customers/bulk.py, sales/support/bulk.py):

1. the list's form (a checkbox per row, or "all N matching" the filter across pages) posts to `bulk_confirm`,
   which changes nothing and asks, with the count and how many were left out;
2. `bulk_apply` changes each record through the same functions as the one-record views (so each gets its
   audit-log rows) and stores a BulkAction with what each record was before;
3. for ten minutes the author may undo it (`undo`), once; a record changed since is left as it is.

Who may change which record is sales/records.py's decision: `records.changeable` in SQL, and for the actions
whose rule depends on the record and the target (archiving, handing over a customer) the Kind's `may`, which
calls records.py's function for it. Rows outside it are never touched, only counted.

Inserting: PostgreSQL hands back the ids of a multi-row INSERT in the order of the rows (SQLAlchemy's
"insertmanyvalues" with sort_by_parameter_order). SQLite would do it one row per statement; there the first row
is inserted alone, which takes the database's write lock, and the rest go in one executemany: while this
transaction holds the lock nobody else can insert, so each next row takes the next rowid and the ids are
first + 1, first + 2, …
"""
from abc import ABC, abstractmethod
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, Optional

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import selectinload

from extensions import db
from models import BulkAction
from sales import records
from sales.clock import utcnow
from sales.texts import shown

UNDO_WINDOW = timedelta(minutes=10)
# More than this many records are listed on the confirmation as "…and N more".
LISTED = 50


def insert_returning_ids(table, rows):
    """Insert `rows` (dicts with the same keys) into `table`; returns their ids in the same order."""
    if not rows:
        return []
    id_column = table.c.id
    if db.session.get_bind().dialect.name != "sqlite":
        return list(db.session.scalars(table.insert().returning(id_column, sort_by_parameter_order=True), rows))
    first = db.session.scalar(table.insert().returning(id_column), rows[0])
    if len(rows) > 1:
        db.session.execute(table.insert(), rows[1:])
    return [first + offset for offset in range(len(rows))]


# --- What a list says about its records -----------------------------------------------------------------------


class Choice(NamedTuple):
    """What the bulk bar's select asked for: `value` as the form sends it ("tag:vip"), the `action` stored in
    BulkAction.action, and its `target` (a stage, a person, a tag name, a status…)."""
    value: str
    action: str
    target: object = None


class Kind(ABC):
    """One list's bulk actions. A subclass sets the class attributes and writes the methods marked so."""

    model = None                 # the records' model
    pick_name = ""               # the checkboxes' name: "lead_id"
    list_endpoint = ""           # the list page, where the result and its Undo show
    permission = ""              # the policy action that lets a role use the bulk actions at all
    filter_fields = ()           # the list's filter, carried by the bulk form for "all matching"
    extra_template = None        # more to ask on the confirmation (why these leads were lost)
    shown_with = ()              # relationships the confirmation's list shows, loaded with the records

    @property
    def entity(self):
        return self.model.__tablename__

    def endpoint(self, step):
        """The list's own bulk route: "bulk_confirm" or "bulk_apply" on the list's blueprint."""
        return f"{self.list_endpoint.rsplit('.', 1)[0]}.{step}"

    # Each list writes these.
    @abstractmethod
    def statement(self, user, form):
        """The list's select() for its filter in `form`, all pages."""
        ...

    @abstractmethod
    def options(self, user, **known):
        """The bulk bar's choices: [(group label, [(value, label), …]), …]."""
        ...

    @abstractmethod
    def choose(self, user, value) -> Optional[Choice]:
        """The Choice for the select's `value`, or None when it is not one this user may make."""
        ...

    @abstractmethod
    def change(self, user, record, choice, extra):
        """Change one record as its own view would."""
        ...

    @abstractmethod
    def label(self, record):
        """How the confirmation lists a record."""
        ...

    @abstractmethod
    def question(self, choice, count):
        ...

    @abstractmethod
    def summary(self, choice, count):
        ...

    @abstractmethod
    def fields(self, choice):
        """The columns `choice` changes, kept as they were for the undo."""
        ...

    # Messages, each list in its own words.
    @abstractmethod
    def left_out_text(self, count):
        ...

    @abstractmethod
    def nothing_ticked_text(self):
        ...

    @abstractmethod
    def none_allowed_text(self, count):
        ...

    @abstractmethod
    def undone_text(self, count):
        ...

    @abstractmethod
    def kept_text(self, count):
        ...

    # What a list may refine.
    def may(self, user, record, choice):
        """Beyond records.changeable: records.py's rule for this record and this target, where it has one."""
        return True

    def problem(self, record, choice):
        """A rule of the trade that keeps this record as it is (a complaint cannot close without its root
        cause): the reason, or None."""
        return None

    def read_extra(self, form, choice):
        """What the confirmation asked beyond the choice: (values, error message or None)."""
        return {}, None

    def snapshot(self, record, choice, extra):
        """What `record` is before the change, in JSON: by default the `fields` the choice changes."""
        return {field: _to_json(getattr(record, field)) for field in self.fields(choice)}

    def restore(self, user, record, before, action):
        """Put back what `snapshot` kept; a list overrides this where putting back is a change of its own
        (a stage move with its history)."""
        for field, value in before.items():
            setattr(record, field, from_json(self.model, field, value))

    def after_change(self, record):
        """Anything derived from the changed fields (a lead's priority score)."""


def _to_json(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(model, field, value):
    """`value` as _to_json kept it, back in the Python type of `model`'s attribute `field`."""
    if value is None:
        return None
    try:
        kind = inspect(model).column_attrs[field].columns[0].type.python_type
    except NotImplementedError:         # JSON and the like: kept as they are
        return value
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    return value


KINDS = {}


def register(kind):
    """Make `kind`'s actions undoable from the shared Undo route (and known by its table name)."""
    KINDS[kind.entity] = kind
    return kind


# --- Choosing, changing, undoing (no request in sight) ---------------------------------------------------------


class Selection(NamedTuple):
    records: list          # those to change
    left_out: int          # selected but not the user's to change (or not there at all)
    problems: list         # [(reason, how many)] kept as they are by a rule of the trade


def selection(kind, user, choice, statement=None, ids=()):
    """The chosen ids, or every record of the list's `statement` (its filter, all pages), split into those the
    user may change and the rest."""
    model = kind.model
    if statement is not None:
        chosen = statement.with_only_columns(model.id).order_by(None)
        selected = db.session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
    else:
        # Every ticked id that is not changed counts as left out, whether the user may see it or not (and
        # whether it exists): the count then tells nothing about other people's records.
        chosen, selected = list(ids), len(set(ids))
    found = db.session.scalars(select(model).where(model.id.in_(chosen), records.changeable(model, user))
                               .options(*(selectinload(getattr(model, name)) for name in kind.shown_with))
                               .order_by(model.id)).all()
    allowed = [record for record in found if choice is None or kind.may(user, record, choice)]
    problems, kept = {}, []
    for record in allowed:
        reason = kind.problem(record, choice) if choice is not None else None
        if reason is None:
            kept.append(record)
        else:
            problems[str(reason)] = problems.get(str(reason), 0) + 1
    return Selection(kept, selected - len(allowed), sorted(problems.items()))


def apply(kind, user, choice, chosen, extra=None):
    """Change every record of `chosen` (already checked by `selection`) one by one; returns the stored
    BulkAction (not yet committed)."""
    extra = extra or {}
    before = {record.id: kind.snapshot(record, choice, extra) for record in chosen}
    for record in chosen:
        kind.change(user, record, choice, extra)
        kind.after_change(record)
    db.session.flush()  # the versions after the change: an undo restores only records still at them
    bulk = BulkAction(user_id=user.id, entity=kind.entity, action=choice.action,
                      summary=kind.summary(choice, len(chosen)),
                      records={str(record.id): {"before": before[record.id], "version": record.version}
                               for record in chosen})
    db.session.add(bulk)
    db.session.flush()
    return bulk


def undoable(bulk, now=None):
    return bulk.undone_at is None and (now or utcnow()) - bulk.at <= UNDO_WINDOW


def get_own_action_or_404(action_id, user, entity=None):
    """A bulk action is its author's to see and undo; anyone else's (or one no list here knows) is simply not
    there."""
    bulk = db.session.get(BulkAction, action_id)
    known = DELETIONS if bulk is not None and bulk.action == "delete" else KINDS
    if bulk is None or bulk.user_id != user.id or bulk.entity not in known or (entity and bulk.entity != entity):
        abort(404)
    return bulk


def claim(bulk):
    """Mark `bulk` undone with one conditional UPDATE, so two taps on Undo (or two tablets) cannot both restore:
    True for the one that got it."""
    claimed = db.session.execute(update(BulkAction).where(BulkAction.id == bulk.id, BulkAction.undone_at.is_(None))
                                 .values(undone_at=utcnow()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    db.session.expire(bulk, ["undone_at"])
    return True


def undo(user, bulk):
    """Put every record back as it was before `bulk`, except those changed since (by anyone) or no longer the
    user's to change: (restored, left as they are), or None when it was undone already. Each restore is a
    normal change again — its own audit rows."""
    kind = KINDS[bulk.entity]
    if not claim(bulk):
        return None
    model, entries = kind.model, bulk.records
    found = {record.id: record for record in db.session.scalars(
        select(model).where(model.id.in_([int(i) for i in entries]), records.changeable(model, user)))}
    restored, kept = [], []
    for key, entry in sorted(entries.items(), key=lambda item: int(item[0])):
        record = found.get(int(key))
        if record is None or record.version != entry["version"]:
            kept.append(record or int(key))
            continue
        kind.restore(user, record, entry["before"], bulk.action)
        kind.after_change(record)
        restored.append(record)
    return restored, kept


# --- The views, the same for every list --------------------------------------------------------------------------


def id_or_none(text):
    from sales.ids import record_id

    try:
        return record_id(text)
    except (TypeError, ValueError):
        return None


def list_context(kind, **known):
    """What a list needs for its bulk bar, and for the message of a bulk action just done (with its Undo).
    `known`: what the page has read already that the list's options need (the leads' stages and sellers)."""
    done = None
    action_id = request.args.get("done", type=id_or_none)
    if action_id:
        bulk = db.session.get(BulkAction, action_id)
        if bulk is not None and bulk.user_id == current_user.id and bulk.entity == kind.entity and undoable(bulk):
            done = bulk
    return {"bulk_done": done, "bulk_kind": kind, "bulk_options": kind.options(current_user, **known),
            "filter_fields": kind.filter_fields}


def _list_args(kind):
    return {name: request.form[name] for name in kind.filter_fields if request.form.get(name)}


def _back_to_list(kind, message, **args):
    flash(message, "warning")
    return redirect(url_for(kind.list_endpoint, **args), 303)


def _selection_of(kind, choice):
    form = request.form
    if form.get("all_matching") == "1":
        return selection(kind, current_user, choice, statement=kind.statement(current_user, form))
    ids = {i for i in (id_or_none(v) for v in form.getlist(kind.pick_name)) if i}
    return selection(kind, current_user, choice, ids=ids)


def _confirmation(kind, choice, chosen, status=200, extra_error=None):
    from sales.forms import EmptyForm
    from sales.htmx import render_page

    return render_page("bulk/confirm.html", "bulk/_confirm.html", status=status, kind=kind, choice=choice,
                       chosen=chosen, question=kind.question(choice, len(chosen.records)), form=EmptyForm(),
                       listed=LISTED, extra_error=extra_error)


def confirm_view(kind):
    """Step one: what would change, and how many — nothing changes yet."""
    from sales.forms import EmptyForm

    if not EmptyForm().validate_on_submit():
        abort(400)
    choice = kind.choose(current_user, request.form.get("action"))
    if choice is None:
        return _back_to_list(kind, _("Choose what to do with the ticked rows."), **_list_args(kind))
    chosen = _selection_of(kind, choice)
    if not chosen.records:
        if chosen.left_out:
            return _back_to_list(kind, kind.none_allowed_text(chosen.left_out), **_list_args(kind))
        if chosen.problems:
            return _back_to_list(kind, "; ".join(reason for reason, _count in chosen.problems),
                                 **_list_args(kind))
        return _back_to_list(kind, kind.nothing_ticked_text(), **_list_args(kind))
    return _confirmation(kind, choice, chosen)


def apply_view(kind):
    """Step two, after the confirmation: change the records (the ones the user may change, checked again)."""
    from sales.forms import EmptyForm

    if not EmptyForm().validate_on_submit():
        abort(400)
    choice = kind.choose(current_user, request.form.get("action"))
    if choice is None:
        abort(400)
    chosen = _selection_of(kind, choice)
    if not chosen.records:
        return _back_to_list(kind, kind.nothing_ticked_text())
    extra, error = kind.read_extra(request.form, choice)
    if error:
        return _confirmation(kind, choice, chosen, status=422, extra_error=error)
    bulk = apply(kind, current_user, choice, chosen.records, extra)
    db.session.commit()
    # Back to the same filter (the done id last: the list reads it, people's eyes skip it).
    return redirect(url_for(kind.list_endpoint, **_list_args(kind), done=bulk.id), 303)


def undo_view(action_id, entity=None):
    from sales.forms import EmptyForm

    from sales.policy import can

    bulk = get_own_action_or_404(action_id, current_user, entity)
    if bulk.action == "delete":
        return _undo_delete_view(bulk)
    kind = KINDS[bulk.entity]
    if not can(current_user, kind.permission):
        abort(403)   # one's own action, on a list one's role no longer works
    if not EmptyForm().validate_on_submit():
        abort(400)
    undone = undo(current_user, bulk) if undoable(bulk) else None
    if undone is None:
        db.session.rollback()
        flash(_("This can no longer be undone: undo works for ten minutes, once."), "warning")
        return redirect(url_for(kind.list_endpoint), 303)
    restored, kept = undone
    db.session.commit()
    flash(kind.undone_text(len(restored)), "success")
    if kept:
        flash(kind.kept_text(len(kept)), "warning")
    return redirect(url_for(kind.list_endpoint), 303)


def _undo_delete_view(bulk):
    from sales.forms import EmptyForm
    from sales.policy import can

    kind = DELETIONS[bulk.entity]
    if kind.permission and not can(current_user, kind.permission):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    (entry,) = bulk.records.values()
    restored = restore_deleted(current_user, bulk) if undoable(bulk) else None
    if restored is None:
        db.session.rollback()
        flash(_("This can no longer be undone: undo works for ten minutes, once."), "warning")
        return redirect(kind.back(entry["before"]), 303)
    db.session.commit()
    flash(kind.restored_text(restored), "success")
    return redirect(kind.back(restored), 303)


def add_routes(blueprint, kind):
    """The list's two steps on its own blueprint: POST <prefix>/bulk (confirm) and <prefix>/bulk/apply."""
    from sales.policy import require

    register(kind)
    blueprint.add_url_rule("/bulk", "bulk_confirm", require(kind.permission)(lambda: confirm_view(kind)),
                           methods=["POST"])
    blueprint.add_url_rule("/bulk/apply", "bulk_apply", require(kind.permission)(lambda: apply_view(kind)),
                           methods=["POST"])


# Undo is one route for every list: the action knows which list it came from.
bp = Blueprint("bulk", __name__, url_prefix="/bulk")


@bp.route("/<int:action_id>/undo", methods=["POST"])
def undo_action(action_id):
    # Signed in (every route is), and the action must be the user's own: get_own_action_or_404.
    return undo_view(action_id)


# --- Deletes with a confirmation and ten minutes of undo ---------------------------------------------------------


class Deletion(ABC):
    """One kind of record that is deleted for real (not archived): asked first, then kept for ten minutes in a
    BulkAction (its columns, and its `children`'s), so Undo puts it back as it was. A subclass sets `model`,
    `permission` and writes the texts and where to go back to."""

    model = None
    permission = ""
    children = ()              # (child model, its column naming the record): rows deleted with it

    @property
    def entity(self):
        return self.model.__tablename__

    @abstractmethod
    def question(self, record):
        ...

    def consequence(self, record):
        """What goes with it, for the confirmation ("its 14 deliveries")."""
        return None

    @abstractmethod
    def summary(self, record):
        ...

    @abstractmethod
    def restored_text(self, before):
        ...

    @abstractmethod
    def back(self, before):
        """Where the person goes after deleting (and after undoing): the page that listed the record."""
        ...

    def may_restore(self, user, record):
        """Put back only what the user may still change (sales/records.py), for kinds that have a rule:
        `record` is the one put back, not yet committed."""
        return True

    def after_delete(self, before):
        """After the commit (a stored file to forget later, say)."""


DELETIONS = {}


def deletion(kind):
    DELETIONS[kind.entity] = kind
    return kind


def _row(record):
    return {attr.key: _to_json(getattr(record, attr.key)) for attr in inspect(type(record)).column_attrs}


def _from_row(model, row):
    return model(**{key: from_json(model, key, value) for key, value in row.items()})


def delete(kind, user, record):
    """Delete `record` (its children too), kept for the undo; returns the BulkAction (not yet committed)."""
    children = [(child, column, [_row(row) for row in db.session.scalars(
        select(child).where(getattr(child, column) == record.id).order_by(child.id))])
        for child, column in kind.children]
    entry = {"before": _row(record), "children": {child.__tablename__: rows for child, _column, rows in children}}
    bulk = BulkAction(user_id=user.id, entity=kind.entity, action="delete", summary=str(kind.summary(record)),
                      records={str(record.id): entry})
    db.session.add(bulk)
    db.session.delete(record)
    db.session.flush()
    return bulk


def flash_undo(bulk):
    """The result message with its Undo button, on whichever page comes next (base.html draws it)."""
    flash(shown(bulk.summary), f"undo:{bulk.id}")


def restore_deleted(user, bulk):
    """Insert the deleted record and its children again (with their ids where nobody took them since): the
    restored record's `before` row, or None when it can no longer be put back."""
    from sqlalchemy.exc import IntegrityError

    kind = DELETIONS[bulk.entity]
    if not claim(bulk):
        return None
    (key, entry), = bulk.records.items()
    before = dict(entry["before"])
    model = kind.model
    if db.session.get(model, int(key)) is not None:
        before.pop("id")                 # SQLite gave the id to a new row: the old one comes back with a new id
    try:
        with db.session.begin_nested():  # a name taken since (a unique column) refuses the undo, not the page
            record = _from_row(model, before)
            db.session.add(record)
            db.session.flush()
            for child, column in kind.children:
                for row in entry.get("children", {}).get(child.__tablename__, []):
                    row = dict(row, **{column: record.id})
                    if db.session.get(child, row["id"]) is not None:
                        row.pop("id")
                    db.session.add(_from_row(child, row))
            db.session.flush()
            if not kind.may_restore(user, record):
                raise _NotTheirs()
    except (IntegrityError, _NotTheirs):
        return None
    return _row(record)


class _NotTheirs(Exception):
    """Rolls back a restore of a record the user may no longer change."""


def confirm_delete(kind, record, action_url):
    """The page that asks before deleting; the form posts to `action_url`."""
    from sales.forms import EmptyForm
    from sales.htmx import render_page

    return render_page("bulk/confirm_delete.html", "bulk/_confirm_delete.html", kind=kind, record=record,
                       question=kind.question(record), consequence=kind.consequence(record),
                       back=kind.back(_row(record)), action_url=action_url, form=EmptyForm())


def delete_view(kind, record):
    """POST: delete (the confirmation was the GET of the same address), then back with the Undo message."""
    from sales.forms import EmptyForm

    if not EmptyForm().validate_on_submit():
        abort(400)
    bulk = delete(kind, current_user, record)
    before = bulk.records[next(iter(bulk.records))]["before"]
    db.session.commit()
    kind.after_delete(before)
    flash_undo(bulk)
    return redirect(kind.back(before), 303)


def expired_deletions(entity, now=None):
    """Deletions of `entity` whose undo time is over and not undone: what they kept may be let go now."""
    cutoff = (now or utcnow()) - UNDO_WINDOW
    return db.session.scalars(select(BulkAction).where(
        BulkAction.entity == entity, BulkAction.action == "delete", BulkAction.undone_at.is_(None),
        BulkAction.at < cutoff)).all()
