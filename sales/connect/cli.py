"""Cron job: `flask deliver-webhooks` sends what the webhook outbox holds."""
import click

from sales.connect import bp


@bp.cli.command("deliver-webhooks")
@click.option("--limit", default=500, show_default=True, help="At most this many attempts per run.")
def deliver_webhooks(limit):
    """Send due webhook deliveries; failures wait for their next try. Safe to run on several machines at once."""
    from sales.connect.webhooks import deliver_due

    report = deliver_due(limit)
    click.echo(f"Delivered {report.delivered}, to retry {report.retrying}, given up {report.failed}.")
