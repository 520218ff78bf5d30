"""The scheduled jobs: each cron run is recorded in `job_runs` (start, end, counts, failure), so the owner sees
on a page (and Prometheus in /metrics) whether the jobs run and succeed, on whichever servers run them.

A job that works on rows claims them (sales/claims.py) and needs nothing more to run on every server at once.
A job whose work is one thing outside the database — read-mail and the shop's one mailbox — takes the job's
lease instead: a `job_leases` row claimed the same way, renewed as the run goes, so one run reads at a time and a
killed run's lease runs out.
"""
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, delete, func, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from models import JobLease, JobRun, utcnow
from sales.claims import abandoned_before, claim, new_token, still_held

# The cron commands README asks every shop to schedule, in the order the page lists them.
JOBS = {
    "send-mail": _l("Send the queued emails"),
    "read-mail": _l("Read the shop's mailbox"),
    "maintenance-due": _l("Open the maintenance tickets that are due"),
    "deliver-webhooks": _l("Deliver webhooks"),
    "run-imports": _l("Carry on the imports"),
}
# A job without a success for this long needs the owner: a daily job's run may start a little after yesterday's.
STALE_AFTER = timedelta(hours=25)
# A run still "running" after this was killed (or its server died) before it could record its end.
LOST_AFTER = timedelta(hours=1)
KEEP_RUNS = timedelta(days=30)
LEASE_SECONDS = 600


@dataclass
class Outcome:
    """What a command did: the line it prints, and the counts the run records."""
    summary: str
    counts: dict = field(default_factory=dict)


def host_name() -> str:
    return socket.gethostname()[:100] or "?"


def start_run(job: str) -> int:
    run = JobRun(job=job, host=host_name(), status="running", started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    return run.id


def finish_run(run_id: int, status: str, summary: Optional[str] = None, counts: Optional[dict] = None,
               error: Optional[str] = None) -> None:
    now = utcnow()
    db.session.execute(update(JobRun).where(JobRun.id == run_id).values(
        status=status, finished_at=now, summary=(summary or None) and summary[:300], counts=counts or None,
        error=(error or None) and error[:500]).execution_options(synchronize_session=False))
    job = db.session.scalar(select(JobRun.job).where(JobRun.id == run_id))
    # A job run every minute on several servers writes thousands of rows a day: a month of them is plenty.
    db.session.execute(delete(JobRun).where(JobRun.job == job, JobRun.started_at < now - KEEP_RUNS)
                       .execution_options(synchronize_session=False))
    db.session.commit()


# --- The lease of a job done by one run at a time ------------------------------------------------------------

@dataclass
class Lease:
    id: int
    token: str

    def renew(self) -> bool:
        """Still ours (and good for another LEASE_SECONDS)? False if another run took it over: stop."""
        held = still_held(JobLease, self.id, self.token, {"claimed_at": utcnow()})
        db.session.commit()
        return held

    def release(self) -> None:
        still_held(JobLease, self.id, self.token, {"claim_token": None, "claimed_at": None})
        db.session.commit()


def take_lease(job: str, lease_seconds: float = LEASE_SECONDS) -> Optional[Lease]:
    """The job's lease if no other run holds it (or the one that did has let it run out), else None."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The row exists once; two first runs at once both try, one of them inserts.
    db.session.execute(insert(JobLease).values(job=job).on_conflict_do_nothing(index_elements=["job"]))
    db.session.commit()
    token = new_token()
    ids = claim(JobLease, and_(JobLease.job == job, or_(JobLease.claim_token.is_(None),
                                                         JobLease.claimed_at < abandoned_before(lease_seconds))),
                (JobLease.id,), values={"claim_token": token, "claimed_at": utcnow()})
    db.session.commit()
    return Lease(ids[0], token) if ids else None


# --- What the owner and the metrics see ----------------------------------------------------------------------

@dataclass
class JobState:
    job: str
    label: str
    runs: list
    last_success: Optional[object]
    stale: bool                      # has run, but not succeeded within STALE_AFTER

    @property
    def never_ran(self) -> bool:
        return not self.runs


def last_successes() -> dict:
    """job → the end of its newest successful run."""
    return dict(db.session.execute(select(JobRun.job, func.max(JobRun.finished_at))
                                   .where(JobRun.status == "succeeded").group_by(JobRun.job)).all())


def run_was_lost(run: JobRun, now=None) -> bool:
    return run.status == "running" and (now or utcnow()) - run.started_at > LOST_AFTER


def job_states(runs_each: int = 10, now=None) -> list[JobState]:
    """Every scheduled job with its newest runs, newest first, and whether it needs attention."""
    now = now or utcnow()
    successes = last_successes()
    states = []
    for job, label in JOBS.items():
        runs = db.session.scalars(select(JobRun).where(JobRun.job == job)
                                  .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(runs_each)).all()
        success = successes.get(job)
        stale = bool(runs) and (success is None or now - success > STALE_AFTER)
        states.append(JobState(job, str(label), runs, success, stale))
    return states


def last_success_part():
    """Which jobs ever ran, how often, and the end of each one's newest success, in one GROUP BY (job, None,
    runs, last success): a part of the dashboard's counts (sales.tally)."""
    last_success = func.max(case((JobRun.status == "succeeded", JobRun.finished_at)))
    return select(JobRun.job, null(), func.count(), last_success).group_by(JobRun.job)


def jobs_needing_attention(now=None, counted=None) -> list[JobState]:
    """For the owner's dashboard: the jobs that ran before but have not succeeded for a day. `counted`: the rows
    of last_success_part(), when the page read them with its other counts."""
    now = now or utcnow()
    if counted is None:
        counted = db.session.execute(last_success_part()).all()
    successes = {job: at for job, _none, _runs, at in counted}
    ran = set(successes)
    successes = {job: at for job, at in successes.items() if at is not None}
    return [JobState(job, str(label), [], successes.get(job), True) for job, label in JOBS.items()
            if job in ran and (successes.get(job) is None or now - successes[job] > STALE_AFTER)]
