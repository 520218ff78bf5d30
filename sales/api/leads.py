"""/api/v1/leads: the funnel, with the list page's filters, the lead form's checks and the board's stage moves."""
from flask import url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import db
from models import Customer, Lead, PipelineStage, StageChange
from sales.api import custom, schemas
from sales.api.endpoint import (check_if_match, dump, endpoint, etag_of, json_response, not_modified,
                                not_modified_response)
from sales.api.pages import keyset_page, page_headers, same_filter
from sales.api.problems import invalid
from sales.leads import rules
from sales.leads.access import get_lead_or_404
from sales.leads.stages import move_to_stage, start_in_stage


def lead_out(lead):
    return dump(schemas.Lead.model_validate({
        **{column.key: getattr(lead, column.key) for column in Lead.__table__.columns},
        "stage": lead.stage.name, "stage_names": lead.stage.names or {},
        "stage_kind": lead.stage.kind,
        "custom_fields": custom.values_out("lead", lead.custom)}))


def _check_seller(seller_id):
    """As the lead form: the owner assigns leads to any active seller; a seller only to themselves."""
    if seller_id is None:
        return
    if current_user.role != "owner" and seller_id != current_user.id:
        raise invalid("/body/seller_id", "Sellers make and keep leads for themselves; only the owner assigns others.")
    if seller_id not in {user.id for user in rules.sellers()}:
        raise invalid("/body/seller_id", "No active owner or seller has this id.")


@endpoint("/v1/leads", "GET", operation_id="list_leads", summary="List leads", tag="Leads", action="leads.view",
          query=schemas.LeadQuery, response=schemas.LeadPage,
          description="The leads you may see on the list page, with its filters, in id order.")
def list_leads(query):
    # The list page's filters and record rules; it loads names for its table, the API needs only the stage.
    statement = same_filter(rules.lead_statement(current_user, text=query.q or "", stage_id=query.stage_id,
                                                 seller_id=query.seller_id, source=query.source,
                                                 include_closed=query.open is not True),
                            Lead, joinedload(Lead.stage))
    if query.customer_id:
        statement = statement.where(Lead.customer_id == query.customer_id)
    if query.open is False:
        statement = statement.where(Lead.stage_id.in_(select(PipelineStage.id).where(PipelineStage.kind != "open")))
    rows, next_url = keyset_page(statement, Lead.id, query)
    return json_response({"items": [lead_out(lead) for lead in rows], "next": next_url},
                         headers=page_headers(next_url))


@endpoint("/v1/leads", "POST", operation_id="create_lead", summary="Create a lead", tag="Leads", action="leads.edit",
          body=schemas.LeadCreate, response=schemas.Lead, status=201, idempotent=True,
          description="The lead starts in the pipeline's first stage, as on the web.")
def create_lead(body):
    customer = db.session.get(Customer, body.customer_id)
    if customer is None or customer.archived_at is not None:
        raise invalid("/body/customer_id", "No active customer has this id.")
    seller_id = body.seller_id if body.seller_id is not None else (
        current_user.id if current_user.role in ("owner", "seller") else None)
    _check_seller(seller_id)
    lead = Lead(customer=customer, title=body.title, source=body.source, estimated_value=body.estimated_value,
                expected_close_date=body.expected_close_date, seller_id=seller_id, description=body.description,
                custom=custom.values_in("lead", body.custom_fields))
    start_in_stage(lead, user_id=current_user.id)
    db.session.add(lead)
    db.session.flush()
    rules.refresh_priority(lead)
    db.session.flush()
    return json_response(lead_out(lead), 201, {"Location": url_for("api.get_lead", lead_id=lead.id, _external=True),
                                               "ETag": etag_of(lead)})


@endpoint("/v1/leads/<int:lead_id>", "GET", operation_id="get_lead", summary="Read a lead", tag="Leads",
          action="leads.view", response=schemas.Lead, etag=True)
def get_lead(lead_id):
    lead = get_lead_or_404(lead_id)
    if not_modified(lead):
        return not_modified_response(lead)
    return json_response(lead_out(lead), headers={"ETag": etag_of(lead)})


@endpoint("/v1/leads/<int:lead_id>", "PATCH", operation_id="update_lead", summary="Change a lead", tag="Leads",
          action="leads.edit", body=schemas.LeadUpdate, response=schemas.Lead, etag=True,
          description="Send If-Match with the ETag you read: a change made meanwhile answers 412. "
                      "Move a lead with POST …/moves.")
def update_lead(lead_id, body):
    lead = get_lead_or_404(lead_id, work=True)
    check_if_match(lead)
    values = body.model_dump(exclude_unset=True)
    if "seller_id" in values:
        _check_seller(values["seller_id"])
    if "custom_fields" in values:
        lead.custom = custom.values_in("lead", values.pop("custom_fields"), lead.custom)
    for field, value in values.items():
        if field in ("title", "source") and value is None:
            continue
        if field == "description":
            value = value or None
        setattr(lead, field, value)
    rules.refresh_priority(lead)
    db.session.flush()
    return json_response(lead_out(lead), headers={"ETag": etag_of(lead)})


def _move(lead, stage, body):
    """As on the board: losing a deal needs its reason, reopening a closed one says why; both are recorded."""
    from sales.negotiation import rules as deal_rules

    reason = (body.reason or "").strip() or None
    if stage.kind == "lost" and lead.stage_id != stage.id:
        if body.lost_reason is None:
            raise invalid("/body/lost_reason", "Say why the deal was lost: price, competitor, no_budget, "
                                                "no_decision, timing or other.")
        return deal_rules.close_lost(lead, body.lost_reason, None, reason, None, None, current_user.id, goal=None,
                                     stage=stage)
    if stage.kind == "open" and lead.stage.is_closed:
        if reason is None:
            raise invalid("/body/reason", "Say why the deal is reopened.")
        return deal_rules.reopen(lead, stage, reason, current_user.id)
    return move_to_stage(lead, stage, user_id=current_user.id)


def move_out(change):
    return dump(schemas.StageMove.model_validate(change))


@endpoint("/v1/leads/<int:lead_id>/moves", "GET", operation_id="list_lead_moves", summary="A lead's stage moves",
          tag="Leads", action="leads.view", response=schemas.StageMoveList)
def list_lead_moves(lead_id):
    lead = get_lead_or_404(lead_id)
    changes = db.session.scalars(select(StageChange).where(StageChange.lead_id == lead.id)
                                 .order_by(StageChange.changed_at, StageChange.id)).all()
    return json_response({"items": [move_out(c) for c in changes]})


@endpoint("/v1/leads/<int:lead_id>/moves", "POST", operation_id="move_lead", summary="Move a lead to a stage",
          tag="Leads", action="leads.edit", body=schemas.StageMoveCreate, response=schemas.StageMove, status=201,
          idempotent=True, description="Recorded with who and when, like a move on the board. Moving a lead to "
                                       "the stage it is in answers 200 with its last move.")
def move_lead(lead_id, body):
    lead = get_lead_or_404(lead_id, work=True)
    check_if_match(lead)
    stage = db.session.get(PipelineStage, body.stage_id)
    if stage is None or not stage.active:
        raise invalid("/body/stage_id", "No active stage has this id.")
    change = _move(lead, stage, body)
    rules.refresh_priority(lead)
    db.session.flush()
    if change is None:
        change = db.session.scalars(select(StageChange).where(StageChange.lead_id == lead.id)
                                    .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(1)).first()
        return json_response(move_out(change), 200, {"ETag": etag_of(lead)})
    return json_response(move_out(change), 201, {"ETag": etag_of(lead)})
