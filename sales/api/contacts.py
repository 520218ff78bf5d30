"""/api/v1/contacts and /api/v1/inquiries: the contact log (visits, calls… with their goal and next step) and
customers' questions, with the record rules and the checks of the contact and inquiry forms."""
from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from models import ContactLog, Customer, Inquiry, Product, utcnow
from sales import records
from sales.api import schemas
from sales.api.endpoint import (check_if_match, dump, endpoint, etag_of, json_response, named_record,
                                read_response)
from sales.api.pages import page_response
from sales.api.problems import Problem, invalid
from sales.leads import rules as lead_rules
from sales.leads.contacts import leads_to_log_on, own_open_step


def contact_out(contact):
    return dump(schemas.Contact.model_validate(contact))


@endpoint("/v1/contacts", "GET", operation_id="list_contacts", summary="List contacts", tag="Contacts",
          action="contacts.log", query=schemas.ContactQuery, response=schemas.ContactPage,
          description="The contacts you may see on the customer and lead pages, in id order; filter by customer "
                      "or lead to read one timeline.")
def list_contacts(query):
    statement = select(ContactLog).where(records.visible(ContactLog, current_user))
    if query.customer_id:
        statement = statement.where(ContactLog.customer_id == query.customer_id)
    if query.lead_id:
        statement = statement.where(ContactLog.lead_id == query.lead_id)
    if query.open_step is True:
        statement = statement.where(ContactLog.next_step.is_not(None), ContactLog.next_step_done_at.is_(None))
    elif query.open_step is False:
        statement = statement.where((ContactLog.next_step.is_(None)) | ContactLog.next_step_done_at.is_not(None))
    return page_response(statement, ContactLog.id, query, contact_out)


@endpoint("/v1/contacts", "POST", operation_id="create_contact", summary="Log a contact", tag="Contacts",
          action="contacts.log", body=schemas.ContactCreate, response=schemas.Contact, status=201, idempotent=True,
          description="Logged as yours, as on the contact form: about one of the customer's open leads you work, "
                      "or none. A next step needs its date (and a date its step).")
def create_contact(body):
    customer = named_record(Customer, body.customer_id, "/body/customer_id", "customer")
    if body.lead_id is not None and body.lead_id not in {lead.id for lead in leads_to_log_on(customer, current_user)}:
        raise invalid("/body/lead_id", "This is not an open lead of this customer that you work.")
    if body.next_step and body.next_step_due is None:
        raise invalid("/body/next_step_due", "Give the next step a date.")
    if body.next_step_due is not None and not body.next_step:
        raise invalid("/body/next_step", "Write the next step for this date, or leave the date out.")
    completes = None
    if body.completes_step_id is not None:
        completes = own_open_step(body.completes_step_id)
        if completes is None:
            raise invalid("/body/completes_step_id", "This is not an open next step of yours.")
    contact = ContactLog(customer=customer, user_id=current_user.id, channel=body.channel,
                         happened_at=body.happened_at or utcnow().replace(microsecond=0), lead_id=body.lead_id,
                         goal=body.goal, outcome=body.outcome or None, next_step=body.next_step or None,
                         next_step_due=body.next_step_due)
    db.session.add(contact)
    if completes is not None:
        completes.next_step_done_at = utcnow()
    db.session.flush()
    lead_rules.refresh_customer_leads(customer.id)
    db.session.flush()
    return json_response(contact_out(contact), 201, {
        "Location": url_for("api.get_contact", contact_id=contact.id, _external=True), "ETag": etag_of(contact)})


@endpoint("/v1/contacts/<int:contact_id>", "GET", operation_id="get_contact", summary="Read a contact",
          tag="Contacts", action="contacts.log", response=schemas.Contact, etag=True)
def get_contact(contact_id):
    contact = records.get_or_404(ContactLog, contact_id)
    return read_response(contact, contact_out(contact))


# --- Inquiries ---------------------------------------------------------------------------------------------------


def inquiry_out(inquiry):
    return dump(schemas.Inquiry.model_validate(inquiry))


@endpoint("/v1/inquiries", "GET", operation_id="list_inquiries", summary="List inquiries", tag="Inquiries",
          action="inquiries.work", query=schemas.InquiryQuery, response=schemas.InquiryPage,
          description="The inquiries you may see on the inquiries page: open ones by default.")
def list_inquiries(query):
    statement = select(Inquiry).where(records.visible(Inquiry, current_user))
    if query.show == "open":
        statement = statement.where(Inquiry.answered_at.is_(None))
    elif query.show == "answered":
        statement = statement.where(Inquiry.answered_at.is_not(None))
    if query.customer_id:
        statement = statement.where(Inquiry.customer_id == query.customer_id)
    if query.lead_id:
        statement = statement.where(Inquiry.lead_id == query.lead_id)
    return page_response(statement, Inquiry.id, query, inquiry_out)


@endpoint("/v1/inquiries", "POST", operation_id="create_inquiry", summary="Take down an inquiry", tag="Inquiries",
          action="inquiries.work", body=schemas.InquiryCreate, response=schemas.Inquiry, status=201,
          idempotent=True, description="It stays open until answered (POST …/answer).")
def create_inquiry(body):
    customer = named_record(Customer, body.customer_id, "/body/customer_id", "customer")
    if body.product_id is not None:
        product = db.session.get(Product, body.product_id)
        if product is None or not product.active:
            raise invalid("/body/product_id", "No product in the catalog has this id.")
    inquiry = Inquiry(customer=customer, kind=body.kind, product_id=body.product_id, question=body.question)
    db.session.add(inquiry)
    db.session.flush()
    return json_response(inquiry_out(inquiry), 201, {
        "Location": url_for("api.get_inquiry", inquiry_id=inquiry.id, _external=True), "ETag": etag_of(inquiry)})


@endpoint("/v1/inquiries/<int:inquiry_id>", "GET", operation_id="get_inquiry", summary="Read an inquiry",
          tag="Inquiries", action="inquiries.work", response=schemas.Inquiry, etag=True)
def get_inquiry(inquiry_id):
    inquiry = records.get_or_404(Inquiry, inquiry_id)
    return read_response(inquiry, inquiry_out(inquiry))


@endpoint("/v1/inquiries/<int:inquiry_id>/answer", "POST", operation_id="answer_inquiry",
          summary="Answer an inquiry", tag="Inquiries", action="inquiries.work", body=schemas.InquiryAnswer,
          response=schemas.Inquiry, etag=True, idempotent=True,
          description="Saves the answer you gave and closes the inquiry; one already answered answers 409.")
def answer_inquiry(inquiry_id, body):
    inquiry = records.get_or_404(Inquiry, inquiry_id, change=True)
    check_if_match(inquiry)
    if not inquiry.is_open:
        raise Problem(409, "This inquiry was already answered.", kind="already-answered")
    inquiry.answer = body.answer
    inquiry.answered_at = utcnow()
    inquiry.answered_by_id = current_user.id
    db.session.flush()
    return json_response(inquiry_out(inquiry), headers={"ETag": etag_of(inquiry)})
