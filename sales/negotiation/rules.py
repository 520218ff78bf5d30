"""Negotiation rules: the state of a deal, closing and reopening it, the playbook and the reports.

Reports aggregate in SQL; each function takes a period (start, end) as dates, both inclusive, or None.
"""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, select

from extensions import db
from models import (Competitor, Concession, ContactLog, DealCompetitor, DecisionMaker, Lead, NegotiationNote,
                    Objection, PipelineStage)
from sales.clock import start_of_day
from sales.leads.stages import move_to_stage, stage_of_kind
from sales.texts import N_, stored

# Other blueprints may know a better amount for a won deal (an accepted quote): f(lead) -> Decimal | None.
WON_AMOUNT_SOURCES = []


def default_won_amount(lead):
    for source in WON_AMOUNT_SOURCES:
        amount = source(lead)
        if amount is not None:
            return amount
    return lead.estimated_value


def deal(lead):
    """Everything the negotiation page shows, in a fixed number of queries. Open objections come first."""
    objections = db.session.scalars(select(Objection).where(Objection.lead_id == lead.id)
                                    .order_by(Objection.resolved, Objection.created_at.desc())).all()
    concessions = db.session.scalars(select(Concession).where(Concession.lead_id == lead.id)
                                     .order_by(Concession.created_at)).all()
    competitors = db.session.scalars(select(DealCompetitor).where(DealCompetitor.lead_id == lead.id)
                                     .order_by(DealCompetitor.created_at)).all()
    people = db.session.scalars(select(DecisionMaker).where(DecisionMaker.lead_id == lead.id)
                                .order_by(DecisionMaker.created_at)).all()
    notes = db.session.scalars(select(NegotiationNote).where(NegotiationNote.lead_id == lead.id)
                               .order_by(NegotiationNote.created_at.desc(), NegotiationNote.id.desc())).all()
    return {
        "objections": objections,
        "open_objections": sum(1 for o in objections if not o.resolved),
        "concessions": concessions,
        "conceded": sum((c.value or Decimal("0") for c in concessions), Decimal("0")),
        "competitors": competitors,
        "people": people,
        "notes": notes,
    }


def active_competitors():
    return db.session.scalars(select(Competitor).where(Competitor.active).order_by(Competitor.name)).all()


def find_or_create_competitor(name):
    name = " ".join(name.split())
    existing = db.session.scalar(select(Competitor).where(func.lower(Competitor.name) == name.lower()))
    if existing:
        return existing
    competitor = Competitor(name=name)
    db.session.add(competitor)
    db.session.flush()
    return competitor


def _follow_up(lead, user_id, goal, outcome, follow_up, follow_up_on):
    """Closing asks "what next?": the answer becomes a next step in the seller's My day."""
    db.session.add(ContactLog(customer_id=lead.customer_id, lead_id=lead.id, user_id=user_id, channel="note",
                              goal=goal, outcome=outcome, next_step=follow_up, next_step_due=follow_up_on))


def close_won(lead, amount, note, follow_up, follow_up_on, user_id, goal):
    move_to_stage(lead, stage_of_kind("won"), user_id=user_id)
    lead.won_amount = amount
    lead.lost_reason = None
    lead.lost_to_id = None
    lead.close_reason = note
    _follow_up(lead, user_id, goal, note, follow_up, follow_up_on)


def close_lost(lead, reason, competitor_id, note, follow_up, follow_up_on, user_id, goal, stage=None):
    """Lost, always with its reason. `follow_up` (the next step) is asked by the closing form; the API may
    leave it out. `stage`: which lost stage, when the shop has more than one."""
    change = move_to_stage(lead, stage or stage_of_kind("lost"), user_id=user_id)
    lead.won_amount = None
    lead.lost_reason = reason
    lead.lost_to_id = competitor_id if reason == "competitor" else None
    lead.close_reason = note
    if follow_up:
        _follow_up(lead, user_id, goal, note, follow_up, follow_up_on)
    return change


def reopen(lead, stage, reason, user_id):
    """Back to an open stage; the stage change and a note record it. The old outcome is cleared."""
    change = move_to_stage(lead, stage, user_id=user_id)
    lead.won_amount = None
    lead.lost_reason = None
    lead.lost_to_id = None
    lead.close_reason = None
    # The note is shown in each reader's language (sales/texts.py); the reason stays as the person typed it.
    db.session.add(NegotiationNote(lead_id=lead.id, user_id=user_id,
                                   body=stored(N_("Reopened: %(reason)s"), reason=reason)))
    return change


def last_open_stage(lead):
    """Where a reopened deal goes by default: the open stage it was in before closing."""
    from models import StageChange

    previous = db.session.scalar(
        select(StageChange.from_stage_id).join(PipelineStage, PipelineStage.id == StageChange.from_stage_id)
        .where(StageChange.lead_id == lead.id, PipelineStage.kind == "open", PipelineStage.active)
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(1))
    return previous


# --- Playbook ------------------------------------------------------------------------------------------------


def _won_stage_ids():
    return select(PipelineStage.id).where(PipelineStage.kind == "won")


def playbook(limit_per_kind=5):
    """Objection types by frequency, and for each the answers that worked: resolved on deals that were won."""
    counts = db.session.execute(
        select(Objection.kind, func.count(), func.sum(case((Objection.resolved, 1), else_=0)))
        .group_by(Objection.kind).order_by(func.count().desc())
    ).all()
    answers = db.session.execute(
        select(Objection.kind, Objection.answer, func.count().label("times"))
        .join(Lead, Lead.id == Objection.lead_id)
        .where(Objection.resolved, Objection.answer.is_not(None), Lead.stage_id.in_(_won_stage_ids()))
        .group_by(Objection.kind, Objection.answer)
        .order_by(func.count().desc(), Objection.answer)
    ).all()
    by_kind = {}
    for kind, answer, times in answers:
        by_kind.setdefault(kind, [])
        if len(by_kind[kind]) < limit_per_kind:
            by_kind[kind].append((answer, times))
    return [{"kind": kind, "count": count, "resolved": resolved or 0, "answers": by_kind.get(kind, [])}
            for kind, count, resolved in counts]


def suggested_answers(kind, limit=3):
    for entry in playbook(limit_per_kind=limit):
        if entry["kind"] == kind:
            return entry["answers"]
    return []


# --- Reports ---------------------------------------------------------------------------------------------------


def _between(column, start, end):
    conditions = []
    if start:
        conditions.append(column >= start_of_day(start))
    if end:
        conditions.append(column < start_of_day(end + timedelta(days=1)))
    return and_(True, *conditions)


def lost_reasons(start=None, end=None):
    """[(reason, count, share 0–1)] for deals lost in the period."""
    rows = db.session.execute(
        select(Lead.lost_reason, func.count()).join(PipelineStage, PipelineStage.id == Lead.stage_id)
        .where(PipelineStage.kind == "lost", _between(Lead.closed_at, start, end))
        .group_by(Lead.lost_reason).order_by(func.count().desc())
    ).all()
    total = sum(count for _reason, count in rows)
    return [(reason or "other", count, count / total) for reason, count in rows]


def objections_by_type(start=None, end=None):
    """[(kind, raised, resolved, resolution rate 0–1)] for objections raised in the period."""
    rows = db.session.execute(
        select(Objection.kind, func.count(), func.sum(case((Objection.resolved, 1), else_=0)))
        .where(_between(Objection.created_at, start, end))
        .group_by(Objection.kind).order_by(func.count().desc())
    ).all()
    return [(kind, raised, resolved or 0, (resolved or 0) / raised) for kind, raised, resolved in rows]


def win_rate_by_competition(start=None, end=None):
    """{"with": (won, closed, rate), "without": (...)} over deals closed in the period."""
    has_competitor = case(
        (Lead.competitor_involved, 1),
        (Lead.id.in_(select(DealCompetitor.lead_id)), 1),
        else_=0,
    )
    rows = db.session.execute(
        select(has_competitor.label("with_competitor"),
               func.sum(case((PipelineStage.kind == "won", 1), else_=0)), func.count())
        .join(PipelineStage, PipelineStage.id == Lead.stage_id)
        .where(PipelineStage.kind != "open", _between(Lead.closed_at, start, end))
        .group_by(has_competitor)
    ).all()
    result = {"with": (0, 0, None), "without": (0, 0, None)}
    for flag, won, closed in rows:
        result["with" if flag else "without"] = (won or 0, closed, (won or 0) / closed if closed else None)
    return result


def average_concession_on_won(start=None, end=None):
    """(average total conceded per won deal, won deals with a concession, share of won amount)."""
    per_deal = (
        select(Concession.lead_id, func.sum(Concession.value).label("conceded"))
        .group_by(Concession.lead_id).subquery()
    )
    row = db.session.execute(
        select(func.count(), func.avg(per_deal.c.conceded), func.sum(per_deal.c.conceded), func.sum(Lead.won_amount))
        .select_from(Lead).join(per_deal, per_deal.c.lead_id == Lead.id)
        .join(PipelineStage, PipelineStage.id == Lead.stage_id)
        .where(PipelineStage.kind == "won", _between(Lead.closed_at, start, end))
    ).one()
    deals, average, conceded, won = row
    share = (Decimal(conceded) / Decimal(won)) if conceded and won else None
    return (Decimal(average).quantize(Decimal("0.01")) if average is not None else None, deals, share)

