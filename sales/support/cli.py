"""`flask --app app maintenance-due`: the daily cron job that opens the maintenance tickets that are due."""
import click
from flask import current_app

from extensions import db
from models import ShopSetting
from sales.cron import job
from sales.clock import shop_today
from sales.operations.jobs import Outcome
from sales.support import bp, rules


@bp.cli.command("maintenance-due")
@job("maintenance-due")
def maintenance_due():
    """Open a maintenance ticket for every plan due today or earlier. Safe to run more than once a day, and on
    several machines at once (each plan is claimed by one run)."""
    created = rules.create_due_maintenance_tickets(shop_today())
    for ticket in created:
        click.echo(f"{ticket.number}  {ticket.customer.name}  {ticket.title}")
    reminded = 0
    base_url = ShopSetting.get("public_base_url")
    if created and not base_url:
        click.echo("No reminder emails: the shop's web address is not known yet (it is remembered when someone "
                   "plans maintenance or runs it from the maintenance page).")
    elif created:
        # The links in the emails need the shop's address; outside a request it is the one remembered.
        with current_app.test_request_context(base_url=base_url):
            reminded = rules.remind_customers(created)
            db.session.commit()
        click.echo(f"{reminded} reminder email(s) queued.")
    return Outcome(f"{len(created)} maintenance ticket(s) opened.", {"opened": len(created), "reminded": reminded})
