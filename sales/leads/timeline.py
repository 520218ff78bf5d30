"""What the lead funnel adds to a customer's timeline: contacts, stage changes and inquiries."""
import json

from flask import url_for
from flask_babel import format_date, gettext as _
from sqlalchemy import Text, case, cast, select
from sqlalchemy.orm import aliased

from models import ContactLog, Inquiry, Lead, PipelineStage, Product, StageChange, User
from sales.leads.forms import CHANNEL_NAMES, INQUIRY_KIND_NAMES
from sales.list_names import shown_name
from sales.records import visible
from sales.texts import shown
from sales.timeline import Kind, TimelineEntry, columns, hidden, numbers, provider, texts


def _contact(row):
    channel, goal, outcome, step, who = texts(row)
    lead_id, lead_seen = numbers(row)[:2]
    detail = "\n".join(part for part in (
        _("Goal: %(goal)s", goal=shown(goal)) if goal else None,
        _("Outcome: %(outcome)s", outcome=outcome) if outcome else None,
        _("Next step: %(step)s (%(due)s)", step=step, due=format_date(row.day)) if step else None,
    ) if part)
    return TimelineEntry(at=row.at, kind="contact", title=str(CHANNEL_NAMES.get(channel, channel)), detail=detail,
                         who=who, url=url_for("leads.show", lead_id=lead_id) if lead_seen else None)


# Aliases made once per process: SQLAlchemy works out an alias's columns on first use and keeps them, so one
# made per request cost each customer page that work again (≈ 2 ms of the timeline).
_CONTACT_AUTHOR = aliased(User, name="contact_author")
_MOVER = aliased(User, name="mover")


@provider
def contacts(customer, user):
    author = _CONTACT_AUTHOR
    leads_seen = select(Lead.id).where(Lead.customer_id == customer.id, visible(Lead, user))
    rows = (select(*columns(ContactLog.id, ContactLog.happened_at,
                            texts=(ContactLog.channel, ContactLog.goal, ContactLog.outcome, ContactLog.next_step,
                                   author.name),
                            numbers=(ContactLog.lead_id, case((ContactLog.lead_id.in_(leads_seen), 1), else_=0)),
                            day=ContactLog.next_step_due))
            .select_from(ContactLog).outerjoin(author, author.id == ContactLog.user_id)
            .where(ContactLog.customer_id == customer.id, visible(ContactLog, user)))
    return [Kind(rows, _contact)], hidden(select(ContactLog.id).where(ContactLog.customer_id == customer.id),
                                          visible(ContactLog, user))


def _stage_change(row):
    lead_title, stage_names, stage_name, who = texts(row)[:4]
    lead_id, first = numbers(row)[:2]
    title = (_("New lead: %(title)s", title=lead_title) if first else
             _("%(title)s moved to %(stage)s", title=lead_title,
               stage=shown_name(json.loads(stage_names) if stage_names else None, stage_name)))
    return TimelineEntry(at=row.at, kind="stage", title=title, who=who, url=url_for("leads.show", lead_id=lead_id))


@provider
def stage_changes(customer, user):
    mover = _MOVER
    rows = (select(*columns(StageChange.id, StageChange.changed_at,
                            texts=(Lead.title, cast(PipelineStage.names, Text), PipelineStage.name, mover.name),
                            numbers=(StageChange.lead_id, case((StageChange.from_stage_id.is_(None), 1), else_=0))))
            .select_from(StageChange).join(Lead, Lead.id == StageChange.lead_id)
            .outerjoin(PipelineStage, PipelineStage.id == StageChange.to_stage_id)
            .outerjoin(mover, mover.id == StageChange.changed_by_id)
            .where(Lead.customer_id == customer.id, visible(Lead, user)))
    return [Kind(rows, _stage_change)], hidden(
        select(StageChange.id).join(StageChange.lead).where(Lead.customer_id == customer.id), visible(Lead, user))


def _inquiry(row):
    kind, product, question, answer = texts(row)[:4]
    return TimelineEntry(at=row.at, kind="inquiry",
                         title=_("Inquiry: %(kind)s", kind=INQUIRY_KIND_NAMES.get(kind, kind))
                         + (f" — {product}" if product else ""),
                         detail=question + (("\n" + _("Answer: %(answer)s", answer=answer)) if answer else ""),
                         url=url_for("leads.show_inquiry", inquiry_id=row.id))


@provider
def inquiries(customer, user):
    rows = (select(*columns(Inquiry.id, Inquiry.created_at,
                            texts=(Inquiry.kind, Product.name, Inquiry.question, Inquiry.answer)))
            .select_from(Inquiry).outerjoin(Product, Product.id == Inquiry.product_id)
            .where(Inquiry.customer_id == customer.id, visible(Inquiry, user)))
    return [Kind(rows, _inquiry)], hidden(select(Inquiry.id).where(Inquiry.customer_id == customer.id),
                                          visible(Inquiry, user))
