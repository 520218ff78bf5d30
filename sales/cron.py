"""What every scheduled command (send-mail, read-mail, maintenance-due, deliver-webhooks) does around its work:
the run is recorded in `job_runs` (sales/operations/jobs.py) from start to end; a run with nothing to do, or with
a feature not set up, succeeds with one line; a real failure exits non-zero with one clear line (cron mails it,
or it lands in the log), never a page of traceback, and the owner sees it on the page of scheduled jobs.

A command returns an `Outcome` (the line to print, the counts to record) or raises `JobFailed` with the counts of
what it did before failing."""
import functools

import click
from flask import current_app

from extensions import db
from sales.operations import jobs


class JobFailed(click.ClickException):
    def __init__(self, message, counts=None):
        super().__init__(message)
        self.counts = counts


def job(name):
    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            run_id = _recorded(jobs.start_run, name)
            try:
                outcome = command(*args, **kwargs)
            except click.ClickException as error:
                db.session.rollback()
                _recorded(jobs.finish_run, run_id, "failed", error=error.format_message(),
                          counts=getattr(error, "counts", None))
                raise                       # already one clear line
            except Exception as error:      # noqa: BLE001  (the one line replaces the traceback)
                db.session.rollback()
                message = f"{name} failed: {error.__class__.__name__}: {' '.join(str(error).split())[:300]}"
                _recorded(jobs.finish_run, run_id, "failed", error=message)
                raise click.ClickException(message) from error
            click.echo(outcome.summary)
            _recorded(jobs.finish_run, run_id, "succeeded", summary=outcome.summary, counts=outcome.counts)
            return outcome
        return run
    return decorate


def _recorded(step, *args, **kwargs):
    """Write the run's record; a record that cannot be written must not hide what the job itself did."""
    if args[0] is None:             # the start could not be recorded: neither can the end
        return None
    try:
        return step(*args, **kwargs)
    except Exception as error:      # noqa: BLE001
        db.session.rollback()
        current_app.logger.warning("%s could not write to job_runs: %s", step.__name__, error.__class__.__name__)
        return None
