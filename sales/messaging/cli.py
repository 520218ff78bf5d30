"""Cron jobs: `flask send-mail` drains the outbox, `flask read-mail` reads the shop's mailbox."""
import click

from sales.cron import job
from sales.messaging import bp


@bp.cli.command("send-mail")
@click.option("--limit", default=200, show_default=True, help="At most this many emails per run.")
@job("send-mail")
def send_mail(limit):
    """Send the queued emails (those a mail server problem held back, and any not tried yet), and carry on the
    campaigns whose page was closed before they finished."""
    from flask import current_app

    from models import ShopSetting
    from sales.messaging.campaigns import continue_campaigns
    from sales.messaging.outbox import drain_queue
    from sales.messaging.portal import unsubscribe_url

    result = drain_queue(limit)
    base_url = ShopSetting.get("public_base_url")
    if result.ok and base_url:
        # Links in the emails need the shop's address; outside a request it is the one remembered at the start.
        with current_app.test_request_context(base_url=base_url):
            carried_on = continue_campaigns(unsubscribe_url, limit)
        if carried_on:
            click.echo(f"Campaigns: {carried_on} more recipients done.")
    click.echo(f"Sent {result.sent}, refused {result.refused}.")
    if not result.ok:
        raise click.ClickException(f"The mail server did not take the rest: {result.problem}. "
                                   "They stay queued for the next run.")


@bp.cli.command("read-mail")
@job("read-mail")
def read_mail():
    """Read new emails from the IMAP mailbox into tickets, customers' timelines and new leads."""
    from flask import current_app

    from sales.messaging.inbound import MailboxProblem, read_mailbox

    if not current_app.config["IMAP_HOST"]:
        # README puts this command in every shop's cron: a shop without a mailbox is not an error.
        click.echo("Reading mail is off: IMAP_HOST is not set. Nothing to do.")
        return

    try:
        report = read_mailbox()
    except MailboxProblem as error:
        raise click.ClickException(f"Could not read the mailbox: {error}. Nothing was lost; the next run "
                                   "tries again.")
    click.echo(f"Read {report['read']}: {report['ticket']} ticket replies, {report['customer']} from customers, "
               f"{report['lead']} new leads, {report['duplicate']} already read.")
