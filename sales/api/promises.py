"""/api/v1/promises: what the shop promised when it sold (a delivery by a date, an installation, training), and
the follow-up that it was kept — or broken. Who sees and who marks a promise is sales/records.py's rule for
promises, as on Support → Promises and My day; a new one is checked as the promise form checks it."""
from flask import url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from extensions import db
from models import Order, Promise, User, utcnow
from sales import records
from sales.api import schemas
from sales.api.endpoint import check_if_match, columns, dump, endpoint, etag_of, json_response, read_response
from sales.api.pages import page_response
from sales.api.problems import invalid
from sales.clock import shop_today

SHOWN = {
    "open": Promise.done_at.is_(None),
    "kept": Promise.done_at.is_not(None) & ~Promise.broken,
    "broken": Promise.done_at.is_not(None) & Promise.broken,
}


def promise_out(promise, today=None):
    today = today or shop_today()
    return dump(schemas.Promise.model_validate({
        **columns(promise), "customer_id": promise.order.customer_id, "status": promise.status,
        "overdue": promise.done_at is None and promise.due_on < today}))


@endpoint("/v1/promises", "GET", operation_id="list_promises", summary="List promises", tag="Promises",
          action="promises.view", query=schemas.PromiseQuery, response=schemas.PromisePage,
          description="The promises you may see (a seller: those they keep and those made with their sales), "
                      "open ones by default, in id order.")
def list_promises(query):
    today = shop_today()
    # The order comes in the same row: each promise answers with its customer.
    statement = (select(Promise).join(Promise.order).options(contains_eager(Promise.order))
                 .where(records.visible(Promise, current_user)))
    if query.show == "overdue":
        statement = statement.where(SHOWN["open"], Promise.due_on < today)
    elif query.show != "all":
        statement = statement.where(SHOWN[query.show])
    if query.customer_id:
        statement = statement.where(Order.customer_id == query.customer_id)
    if query.order_id:
        statement = statement.where(Promise.order_id == query.order_id)
    if query.seller_id:
        statement = statement.where(Promise.seller_id == query.seller_id)
    if query.due_from:
        statement = statement.where(Promise.due_on >= query.due_from)
    if query.due_to:
        statement = statement.where(Promise.due_on <= query.due_to)
    return page_response(statement, Promise.id, query, lambda promise: promise_out(promise, today))


def _keeper(seller_id):
    """As the promise form: the owner names anyone who sells; everyone else only themselves (the default)."""
    if seller_id is None:
        return current_user.id
    if current_user.role != "owner" and seller_id != current_user.id:
        raise invalid("/body/seller_id", "Sellers keep their own promises; only the owner names someone else.")
    person = db.session.get(User, seller_id)
    if person is None or not person.active or person.role not in ("owner", "seller"):
        raise invalid("/body/seller_id", "No active owner or seller has this id.")
    return person.id


@endpoint("/v1/promises", "POST", operation_id="create_promise", summary="Note a promise", tag="Promises",
          action="promises.edit", body=schemas.PromiseCreate, response=schemas.Promise, status=201,
          idempotent=True, description="Made with a sale you may change, as on the customer's page (“+ Promise”). "
                                       "It shows in its keeper's My day when it is due.")
def create_promise(body):
    order = db.session.get(Order, body.order_id)
    if order is None or not records.may_change(current_user, order):
        raise invalid("/body/order_id", "There is no order with this id that you may promise on.")
    promise = Promise(order=order, seller_id=_keeper(body.seller_id), kind=body.kind,
                      description=body.description, due_on=body.due_on)
    db.session.add(promise)
    db.session.flush()
    return json_response(promise_out(promise), 201, {
        "Location": url_for("api.get_promise", promise_id=promise.id, _external=True), "ETag": etag_of(promise)})


@endpoint("/v1/promises/<int:promise_id>", "GET", operation_id="get_promise", summary="Read a promise",
          tag="Promises", action="promises.view", response=schemas.Promise, etag=True)
def get_promise(promise_id):
    promise = records.get_or_404(Promise, promise_id)
    return read_response(promise, promise_out(promise))


def _settle(promise_id, broken):
    promise = records.get_or_404(Promise, promise_id, change=True)
    check_if_match(promise)
    if promise.status != ("broken" if broken else "kept"):
        # Kept after all, or found broken after being ticked by mistake: the latest word counts, from now.
        promise.done_at, promise.broken = utcnow(), broken
        db.session.flush()
    return json_response(promise_out(promise), headers={"ETag": etag_of(promise)})


SETTLE_NOTE = ("Send If-Match with the ETag you read: a change made meanwhile answers 412. Marking it again as it "
               "already is changes nothing.")


@endpoint("/v1/promises/<int:promise_id>/kept", "POST", operation_id="keep_promise", summary="Mark a promise kept",
          tag="Promises", action="promises.edit", response=schemas.Promise, etag=True, idempotent=True,
          description="As the Kept button of Support → Promises and My day. " + SETTLE_NOTE)
def keep_promise(promise_id):
    return _settle(promise_id, broken=False)


@endpoint("/v1/promises/<int:promise_id>/broken", "POST", operation_id="break_promise",
          summary="Mark a promise broken", tag="Promises", action="promises.edit", response=schemas.Promise,
          etag=True, idempotent=True,
          description="It was not kept (the customer waited in vain): it leaves the open promises and My day, and "
                      "counts as broken. " + SETTLE_NOTE)
def break_promise(promise_id):
    return _settle(promise_id, broken=True)
