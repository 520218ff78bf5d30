"""Cron jobs: `flask send-mail` drains the outbox, `flask read-mail` reads the shop's mailbox."""
import click

from sales.cron import JobFailed, job
from sales.messaging import bp
from sales.operations.jobs import Outcome


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
    carried_on = 0
    if result.ok and base_url:
        # Links in the emails need the shop's address; outside a request it is the one remembered at the start.
        with current_app.test_request_context(base_url=base_url):
            carried_on = continue_campaigns(unsubscribe_url, limit)
        if carried_on:
            click.echo(f"Campaigns: {carried_on} more recipients done.")
    counts = {"sent": result.sent, "refused": result.refused, "campaign_recipients": carried_on}
    summary = f"Sent {result.sent}, refused {result.refused}."
    if not result.ok:
        click.echo(summary)
        raise JobFailed(f"The mail server did not take the rest: {result.problem}. "
                        "They stay queued for the next run.", counts)
    return Outcome(summary, counts)


@bp.cli.command("read-mail")
@job("read-mail")
def read_mail():
    """Read new emails from the IMAP mailbox into tickets, customers' timelines and new leads. Safe to run on
    several machines at once: one run reads the mailbox at a time, the others find it taken and stop."""
    from flask import current_app

    from sales.messaging.inbound import MailboxProblem, read_mailbox
    from sales.operations.jobs import take_lease

    if not current_app.config["IMAP_HOST"]:
        # README puts this command in every shop's cron: a shop without a mailbox is not an error.
        return Outcome("Reading mail is off: IMAP_HOST is not set. Nothing to do.", {"read": 0})

    lease = take_lease("read-mail")
    if lease is None:
        return Outcome("Another run is reading the mailbox now. Nothing to do here.", {"read": 0})
    try:
        report = read_mailbox(still_ours=lease.renew)
    except MailboxProblem as error:
        raise JobFailed(f"Could not read the mailbox: {error}. Nothing was lost; the next run tries again.")
    finally:
        lease.release()
    return Outcome(f"Read {report['read']}: {report['ticket']} ticket replies, {report['customer']} from "
                   f"customers, {report['lead']} new leads, {report['duplicate']} already read.", report)
