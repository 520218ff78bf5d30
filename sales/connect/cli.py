"""Cron job: `flask deliver-webhooks` sends what the webhook outbox holds."""
import click

from sales.connect import bp
from sales.cron import job
from sales.operations.jobs import Outcome


@bp.cli.command("deliver-webhooks")
@click.option("--limit", default=500, show_default=True, help="At most this many attempts per run.")
@job("deliver-webhooks")
def deliver_webhooks(limit):
    """Send due webhook deliveries; failures wait for their next try. Safe to run on several machines at once."""
    from sales.connect.webhooks import deliver_due

    report = deliver_due(limit)
    return Outcome(f"Delivered {report.delivered}, to retry {report.retrying}, given up {report.failed}.",
                   {"delivered": report.delivered, "retrying": report.retrying, "failed": report.failed})
