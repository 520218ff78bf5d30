"""`flask --app app maintenance-due`: the daily cron job that opens the maintenance tickets that are due."""
import click

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
    return Outcome(f"{len(created)} maintenance ticket(s) opened.", {"opened": len(created)})
