"""What the lead funnel adds to a customer's timeline: contacts, stage changes and inquiries."""
from flask import url_for
from flask_babel import format_date, gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import db
from models import ContactLog, Inquiry, Lead, StageChange
from sales.leads.forms import CHANNEL_NAMES, INQUIRY_KIND_NAMES
from sales.records import visible
from sales.texts import shown
from sales.timeline import TimelineEntry, provider, visible_rows


@provider
def contacts(customer, limit, user):
    rows, hidden = visible_rows(
        select(ContactLog).options(joinedload(ContactLog.user))
        .where(ContactLog.customer_id == customer.id)
        .order_by(ContactLog.happened_at.desc()), visible(ContactLog, user), limit)
    leads_seen = set(db.session.scalars(select(Lead.id).where(Lead.customer_id == customer.id,
                                                             visible(Lead, user))))
    entries = []
    for c in rows:
        detail = "\n".join(part for part in (
            _("Goal: %(goal)s", goal=shown(c.goal)) if c.goal else None,
            _("Outcome: %(outcome)s", outcome=c.outcome) if c.outcome else None,
            _("Next step: %(step)s (%(due)s)", step=c.next_step, due=format_date(c.next_step_due))
            if c.next_step else None,
        ) if part)
        entries.append(TimelineEntry(at=c.happened_at, kind="contact", title=str(CHANNEL_NAMES.get(c.channel, c.channel)),
                                     detail=detail, who=c.user.name if c.user else None,
                                     url=url_for("leads.show", lead_id=c.lead_id) if c.lead_id in leads_seen else None))
    return entries, hidden


@provider
def stage_changes(customer, limit, user):
    rows, hidden = visible_rows(
        select(StageChange).join(StageChange.lead)
        .options(joinedload(StageChange.lead), joinedload(StageChange.to_stage),
                 joinedload(StageChange.changed_by))
        .where(Lead.customer_id == customer.id)
        .order_by(StageChange.changed_at.desc()), visible(Lead, user), limit)
    return [
        TimelineEntry(at=ch.changed_at, kind="stage",
                      title=(_("New lead: %(title)s", title=ch.lead.title) if ch.from_stage_id is None
                             else _("%(title)s moved to %(stage)s", title=ch.lead.title, stage=ch.to_stage.shown_name)),
                      who=ch.changed_by.name if ch.changed_by else None,
                      url=url_for("leads.show", lead_id=ch.lead_id))
        for ch in rows
    ], hidden


@provider
def inquiries(customer, limit, user):
    rows, hidden = visible_rows(
        select(Inquiry).options(joinedload(Inquiry.product), joinedload(Inquiry.answered_by))
        .where(Inquiry.customer_id == customer.id)
        .order_by(Inquiry.created_at.desc()), visible(Inquiry, user), limit)
    return [
        TimelineEntry(at=i.created_at, kind="inquiry",
                      title=_("Inquiry: %(kind)s", kind=INQUIRY_KIND_NAMES.get(i.kind, i.kind))
                      + (f" — {i.product.name}" if i.product else ""),
                      detail=i.question + (("\n" + _("Answer: %(answer)s", answer=i.answer)) if i.answer else ""),
                      url=url_for("leads.show_inquiry", inquiry_id=i.id))
        for i in rows
    ], hidden
