"""/api/v1/tickets: after-sale requests and their conversation, with the ticket list's views and the ticket
form's checks (sales/support/rules.py: the response time from the priority, the warranty from the sale)."""
from flask import url_for
from flask_login import current_user

from extensions import db
from models import Customer, Ticket
from sales import records
from sales.api import schemas
from sales.api.endpoint import columns, dump, endpoint, etag_of, json_response, named_record, read_response
from sales.api.pages import page_response, same_filter
from sales.api.problems import invalid
from sales.support import rules


def _ticket(ticket):
    return {**columns(ticket), "number": ticket.number}


def ticket_out(ticket):
    return dump(schemas.Ticket.model_validate(_ticket(ticket)))


def ticket_detail_out(ticket):
    return dump(schemas.TicketDetail.model_validate({
        **_ticket(ticket), "messages": [schemas.TicketMessage.model_validate(m) for m in ticket.messages]}))


def message_out(message):
    return dump(schemas.TicketMessage.model_validate(message))


@endpoint("/v1/tickets", "GET", operation_id="list_tickets", summary="List tickets", tag="Tickets",
          action="tickets.view", query=schemas.TicketQuery, response=schemas.TicketPage,
          description="The tickets you may see, with the ticket list's views (open by default), in id order.")
def list_tickets(query):
    statement = same_filter(rules.ticket_statement(current_user, view=query.view, kind=query.kind,
                                                   text=query.q or ""), Ticket)
    return page_response(statement, Ticket.id, query, ticket_out)


@endpoint("/v1/tickets", "POST", operation_id="create_ticket", summary="Open a ticket", tag="Tickets",
          action="tickets.open", body=schemas.TicketCreate, response=schemas.TicketDetail, status=201,
          idempotent=True, description="Due by the response time of its priority, as on the ticket form.")
def create_ticket(body):
    customer = named_record(Customer, body.customer_id, "/body/customer_id", "customer")
    line = None
    if body.order_line_id is not None:
        # As on the form: a product this customer bought, in a sale the user may see.
        line = next((sold for sold in rules.sold_lines(customer.id, current_user) if sold.id == body.order_line_id),
                    None)
        if line is None:
            raise invalid("/body/order_line_id", "This is not a sale of this customer's that you may see.")
    assignee_id = body.assignee_id
    if assignee_id is None and current_user.role == "support":
        assignee_id = current_user.id          # what the form proposes to support staff
    if assignee_id is not None and assignee_id not in {user.id for user in rules.support_staff()}:
        raise invalid("/body/assignee_id", "No active user has this id.")
    ticket = rules.open_ticket(customer, title=body.title, kind=body.kind, priority=body.priority, order_line=line,
                               serial_number=body.serial_number or None, description=body.description or None,
                               assignee_id=assignee_id)
    db.session.flush()
    return json_response(ticket_detail_out(ticket), 201, {
        "Location": url_for("api.get_ticket", ticket_id=ticket.id, _external=True), "ETag": etag_of(ticket)})


@endpoint("/v1/tickets/<int:ticket_id>", "GET", operation_id="get_ticket", summary="Read a ticket",
          tag="Tickets", action="tickets.view", response=schemas.TicketDetail, etag=True,
          description="With its conversation: replies to the customer, their messages and internal notes.")
def get_ticket(ticket_id):
    ticket = records.get_or_404(Ticket, ticket_id)
    return read_response(ticket, ticket_detail_out(ticket))


@endpoint("/v1/tickets/<int:ticket_id>/messages", "POST", operation_id="add_ticket_message",
          summary="Add to a ticket's conversation", tag="Tickets", action="tickets.work",
          body=schemas.TicketMessageCreate, response=schemas.TicketMessage, status=201, idempotent=True,
          description="A reply the customer sees on their link, or an internal note. A new ticket is then in "
                      "progress, as when it is answered on the web.")
def add_ticket_message(ticket_id, body):
    ticket = records.get_or_404(Ticket, ticket_id, change=True)
    message = rules.add_message(ticket, body.body, public=body.public, author_id=current_user.id)
    if ticket.status == "new":
        rules.change_status(ticket, "in_progress")
    db.session.flush()
    return json_response(message_out(message), 201, {
        "Location": url_for("api.get_ticket", ticket_id=ticket.id, _external=True)})
