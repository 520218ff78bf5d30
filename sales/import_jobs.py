"""Import jobs (deals, customers) advance chunk by chunk, each chunk its own transaction, from wherever asks first:
the progress page (each htmx poll asks for the next chunk) or the server's cron (`flask run-imports`), so a big
import finishes with its tab closed.

A chunk is taken by one UPDATE that moves the job's counter from where the taker read it to the chunk's end
(`… WHERE imported_rows = start`), in the same transaction as the chunk's work: on PostgreSQL the row stays locked
until the commit, and a second taker of the same chunk waits, then finds the counter moved and takes nothing; on
SQLite the UPDATE takes the database's write lock first. A chunk is therefore checked or imported once, whoever
asks, and a run killed mid-chunk leaves nothing half-done (its transaction rolls back and the chunk is taken again).
The cron picks its jobs with sales.claims (`FOR UPDATE SKIP LOCKED`), so two servers' runs work on different jobs.

Each kind of import is a module with: `file_rows(job)`, `check_chunk(job, rows, start, end)` → problems,
`prepare(job, importer)` (what to create once before the first chunk), `Counts`, and
`import_chunk(job, rows, start, end, importer, counts)` → problems; optionally `after_check(job, rows)`.
"""
import importlib
import json
import time

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import update

from extensions import db
from models import ImportJob, User, utcnow
from sales.claims import claim

KINDS = {"leads": "sales.leads.imports", "customers": "sales.customers.imports"}
WORKING = ("checking", "importing")


def kind_of(job):
    return importlib.import_module(KINDS[job.kind])


def problem_lines(job):
    return len({line for line, _field, _message in json.loads(job.problems or "[]")})


def start_check(job):
    """The check starts (in the person's request): remember their language, in which the cron writes the problems."""
    from flask_babel import get_locale

    settings = json.loads(job.settings or "{}")
    settings["language"] = str(get_locale() or "")
    job.settings = json.dumps(settings)
    job.status, job.checked_rows, job.problems, job.result = "checking", 0, "[]", None


def _language(job):
    return json.loads(job.settings or "{}").get("language") or None


def start_import(job, importer):
    """The person asked to import the checked rows: create what the mapping asked for, then go chunk by chunk."""
    kind = kind_of(job)
    kind.prepare(job, importer)
    job.status = "importing"
    job.imported_rows = 0
    job.result = kind.Counts().dump()


def _take(job, counter, start, end):
    """Move the job's counter from `start` to `end`; False when another run moved it first (it did this chunk)."""
    taken = db.session.execute(update(ImportJob).where(ImportJob.id == job.id, getattr(ImportJob, counter) == start,
                                                       ImportJob.status == job.status)
                               .values({counter: end, "advanced_at": utcnow()})
                               .execution_options(synchronize_session=False)).rowcount
    return taken == 1


def advance(job, importer=None):
    """Check or import the job's next chunk and commit; False when there was nothing to do or another run took the
    chunk. `importer` is the person the import is for (the job's own user when the cron runs it)."""
    if job.status not in WORKING:
        return False
    kind = kind_of(job)
    importer = importer or db.session.get(User, job.user_id)
    rows = kind.file_rows(job)
    counter = "checked_rows" if job.status == "checking" else "imported_rows"
    start = getattr(job, counter)
    end = min(start + kind.CHUNK, len(rows))
    if not _take(job, counter, start, end):
        db.session.rollback()
        db.session.refresh(job)
        return False
    if job.status == "checking":
        found = kind.check_chunk(job, rows, start, end)
        job.problems = json.dumps(json.loads(job.problems or "[]") + [list(p) for p in found])
        job.checked_rows = end
        if end >= len(rows):
            if hasattr(kind, "after_check"):
                kind.after_check(job, rows)
            job.status = "checked"
    else:
        counts = kind.Counts.load(job.result)
        kind.import_chunk(job, rows, start, end, importer, counts)
        job.imported_rows = end
        if end >= len(rows):
            job.status = "done"
            job.finished_at = utcnow()
            job.content = ""  # the file is no longer needed once imported; its hash stays for the next time
            result = json.loads(counts.dump(problem_lines(job)))
            result.pop("customer_ids", None)
            job.result = json.dumps(result)
        else:
            job.result = counts.dump(problem_lines(job))
    job.advanced_at = utcnow()
    db.session.commit()
    return True


def run_pending(max_chunks=500, max_seconds=50):
    """The cron's work: advance every job that is being checked or imported, oldest first, until none is left
    or the run's time is up (the next run carries on). Returns (chunks done, jobs finished)."""
    chunks = finished = 0
    deadline = time.monotonic() + max_seconds
    while chunks < max_chunks and time.monotonic() < deadline:
        ids = claim(ImportJob, ImportJob.status.in_(WORKING), (ImportJob.id,), {"advanced_at": utcnow()})
        if not ids:
            db.session.rollback()
            break
        # The claim's row lock (PostgreSQL) or write lock (SQLite) is held until advance() commits its chunk.
        job = db.session.get(ImportJob, ids[0], populate_existing=True)
        with force_locale(_language(job) or current_app.config.get("SHOP_LANGUAGE", "en")):
            advanced = advance(job)
        if advanced:
            chunks += 1
            finished += job.status in ("checked", "done")
    return chunks, finished
