"""`flask --app app maintenance-due`: the daily cron job that opens the maintenance tickets that are due."""
import click

from extensions import db
from sales.clock import shop_today
from sales.support import bp, rules



@bp.cli.command("maintenance-due")
def maintenance_due():
    """Open a maintenance ticket for every plan due today or earlier. Safe to run more than once a day."""
    created = rules.create_due_maintenance_tickets(shop_today())
    db.session.commit()
    for ticket in created:
        click.echo(f"{ticket.number}  {ticket.customer.name}  {ticket.title}")
    click.echo(f"{len(created)} maintenance ticket(s) opened.")
