"""/api/v1/customers: the address book, with the same search as the customer list and the same checks as the
customer form."""
from flask import url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from extensions import db
from models import Customer
from sales.api import custom, schemas
from sales.api.endpoint import (check_if_match, dump, endpoint, etag_of, json_response, not_modified,
                                not_modified_response)
from sales.api.pages import keyset_page, page_headers, same_filter
from sales.api.problems import invalid
from sales.customers import rules
from sales.customers.views import get_customer_or_404
from sales.languages import available_languages

FIELDS = ("kind", "name", "contact_person", "tax_id", "email", "phone", "mobile", "street", "postal_code", "city",
          "region", "country", "notes", "owner_id", "language")


def customer_out(customer):
    return dump(schemas.Customer.model_validate({**_columns(customer), "tags": customer.tag_names,
                                                 "custom_fields": custom.values_out("customer", customer.custom)}))


def _columns(customer):
    return {column.key: getattr(customer, column.key) for column in Customer.__table__.columns}


def _apply(customer, values):
    """Set what was sent, checked as the customer form checks it."""
    if "owner_id" in values and values["owner_id"] is not None:
        from sales.leads.rules import sellers

        if values["owner_id"] not in {user.id for user in sellers()}:
            raise invalid("/body/owner_id", "No active owner or seller has this id.")
    if values.get("language") is not None and values["language"] not in available_languages():
        raise invalid("/body/language", "Mostrador does not speak this language here.")
    for field in FIELDS:
        if field in values:
            value = values[field]
            if field == "email" and value:
                value = value.lower()
            if isinstance(value, str) and field != "kind":
                value = value or None
            setattr(customer, field, value)
    if values.get("tags") is not None:
        customer.tags = rules.tags_by_name(sorted({tag for tag in values["tags"]}))
    if values.get("custom_fields") is not None:
        customer.custom = custom.values_in("customer", values["custom_fields"], customer.custom)
    customer.refresh_phone_digits()


@endpoint("/v1/customers", "GET", operation_id="list_customers", summary="List customers", tag="Customers",
          action="customers.view", query=schemas.CustomerQuery, response=schemas.CustomerPage)
def list_customers(query):
    statement = same_filter(rules.search_statement(query.q or "", query.tag or "", query.show), Customer,
                            selectinload(Customer.tags))
    rows, next_url = keyset_page(statement, Customer.id, query)
    return json_response({"items": [customer_out(c) for c in rows], "next": next_url}, headers=page_headers(next_url))


@endpoint("/v1/customers", "POST", operation_id="create_customer", summary="Create a customer", tag="Customers",
          action="customers.edit", body=schemas.CustomerCreate, response=schemas.Customer, status=201,
          idempotent=True)
def create_customer(body):
    customer = Customer(name=body.name)
    if current_user.role == "seller" and body.owner_id is None:
        body.owner_id = current_user.id          # as a seller's new prospect: theirs to look after
    _apply(customer, body.model_dump())
    db.session.add(customer)
    db.session.flush()
    return json_response(customer_out(customer), 201, {
        "Location": url_for("api.get_customer", customer_id=customer.id, _external=True), "ETag": etag_of(customer)})


@endpoint("/v1/customers/<int:customer_id>", "GET", operation_id="get_customer", summary="Read a customer",
          tag="Customers", action="customers.view", response=schemas.Customer, etag=True)
def get_customer(customer_id):
    customer = get_customer_or_404(customer_id)
    if not_modified(customer):
        return not_modified_response(customer)
    return json_response(customer_out(customer), headers={"ETag": etag_of(customer)})


@endpoint("/v1/customers/<int:customer_id>", "PATCH", operation_id="update_customer", summary="Change a customer",
          tag="Customers", action="customers.edit", body=schemas.CustomerUpdate, response=schemas.Customer,
          etag=True, description="Send If-Match with the ETag you read: a change made meanwhile answers 412.")
def update_customer(customer_id, body):
    customer = get_customer_or_404(customer_id, "customers.edit")
    check_if_match(customer)
    values = body.model_dump(exclude_unset=True)
    if "name" in values and not values["name"]:
        values.pop("name")
    if "kind" in values and values["kind"] is None:
        values.pop("kind")
    _apply(customer, values)
    db.session.flush()
    return json_response(customer_out(customer), headers={"ETag": etag_of(customer)})
