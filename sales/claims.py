"""Claiming work in the database, so that two runs of a job (two cron runs overlapping, two machines on one
PostgreSQL, a web request and the cron) never take the same row.

A claim is one UPDATE that marks the rows it takes and returns their ids, committed at once by the caller:

- PostgreSQL: the rows are chosen with `FOR UPDATE SKIP LOCKED`, so a second run passes over rows the first is
  claiming right now instead of waiting for them or taking them too;
- SQLite: the UPDATE takes the database's single write lock before it reads, so the second run waits and then
  finds the rows already marked.

The marks say who holds a row (a token) and since when; a job treats a claim older than its lease as abandoned
(the run was killed) and may claim the row again, and only the holder of the current token may finish it
(`still_held`). Rows are taken in the order given, oldest work first.

A job whose work never leaves the database (maintenance-due opening tickets) may instead do the work in the
claim's own transaction and commit once: the row lock holds the claim until then, and a killed run leaves
nothing half-done to take over, so it needs no lease.
"""
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from extensions import db
from models import utcnow


def new_token() -> str:
    return secrets.token_hex(16)


def claim(model, condition, order_by, values, limit=1) -> list[int]:
    """Mark up to `limit` rows of `model` matching `condition` with `values`; returns the ids taken, in order.

    Not committed: commit right away, on its own, for the claim to be seen by other runs.
    """
    chosen = select(model.id).where(condition).order_by(*order_by).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    ids = db.session.scalars(
        update(model).where(model.id.in_(chosen.scalar_subquery())).values(values)
        .returning(model.id).execution_options(synchronize_session=False)).all()
    return sorted(ids, key=_order_of(ids, model, order_by)) if len(ids) > 1 else ids


def _order_of(ids, model, order_by):
    # UPDATE … RETURNING hands rows back in no promised order: read the order once more.
    ranked = db.session.scalars(select(model.id).where(model.id.in_(ids)).order_by(*order_by)).all()
    position = {ident: n for n, ident in enumerate(ranked)}
    return lambda ident: position[ident]


def abandoned_before(lease_seconds: float, now: datetime | None = None) -> datetime:
    """Claims made before this moment belong to a run that died: its lease is over."""
    return (now or utcnow()) - timedelta(seconds=lease_seconds)


def still_held(model, ident, token, values) -> bool:
    """Apply `values` to the row only if `token` still holds it; False if another run took it over meanwhile."""
    result = db.session.execute(update(model).where(model.id == ident, model.claim_token == token).values(values)
                                .execution_options(synchronize_session=False))
    return result.rowcount == 1


def commit_then(action) -> None:
    """Commit, and run `action` (the one step outside the database that must happen if and only if the commit
    does) as close to the commit as there is a way to.

    A run can be killed between any two instructions. Waiting for the COMMIT's answer before acting leaves a
    window as long as the database's round trip and disk flush, in which the commit has happened and the action
    has not. On PostgreSQL the COMMIT is therefore sent first, then `action` runs, then the COMMIT's answer is
    read: the window shrinks to the two writes to two sockets, and a socket written before the kill still
    delivers what it was given. SQLite commits in this process, with no round trip to wait for.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.commit()
        action()
        return
    import select as waiting

    from psycopg import OperationalError
    from psycopg.pq import ExecStatus

    pgconn = connection.connection.dbapi_connection.pgconn
    pgconn.send_query(b"COMMIT")
    while pgconn.flush():                       # the COMMIT is on its way before the action starts
        waiting.select([], [pgconn.socket], [])
    try:
        action()
    finally:
        outcome = None
        while True:
            while pgconn.is_busy():
                waiting.select([pgconn.socket], [], [])
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            outcome = result
        committed = outcome is not None and outcome.status == ExecStatus.COMMAND_OK
        # The database's transaction has ended either way; the session is told (psycopg sends nothing more).
        if committed:
            db.session.commit()
        else:
            db.session.rollback()
    if not committed:
        message = outcome.error_message.decode("utf-8", "replace") if outcome is not None else "no answer"
        raise OperationalError(f"COMMIT failed after the action ran: {message}")
