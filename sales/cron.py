"""What every scheduled command (send-mail, read-mail, maintenance-due) does on the way out: a run with nothing
to do, or with a feature not set up, succeeds with one line; a real failure exits non-zero with one clear line
(cron mails it, or it lands in the log), never a page of traceback."""
import functools

import click

from extensions import db


def job(name):
    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except click.ClickException:
                raise                       # already one clear line
            except Exception as error:      # noqa: BLE001  (the one line replaces the traceback)
                db.session.rollback()
                raise click.ClickException(f"{name} failed: {error.__class__.__name__}: "
                                           f"{' '.join(str(error).split())[:300]}") from error
        return run
    return decorate
