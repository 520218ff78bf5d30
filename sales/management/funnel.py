"""Funnel fractures: of the deals that reached each stage in a period, how many moved on, were lost there or
are still there, and how long a stay in the stage lasts (median). All in SQL, from the stage-change history.

A stay starts when a lead enters a stage and ends at its next stage change. "Moved on" means the next change
went to a later open stage or to a won stage; "lost" means it went to a lost stage; anything else (back to an
earlier stage) counts as "went back". The fracture is the open stage that keeps the smallest share of its deals;
the stall is the open stage with the longest median stay.
"""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from extensions import db
from models import Lead, PipelineStage, StageChange
from sales.leads.stages import active_stages
from sales.management.periods import Period
from sales.management.sql import days_between

# Fewer deals than this through a stage say nothing about it: it cannot be "the" fracture.
MIN_DEALS_FOR_FRACTURE = 3


@dataclass
class StageFlow:
    stage: PipelineStage
    entered: int = 0
    moved_on: int = 0
    lost: int = 0
    still_there: int = 0
    went_back: int = 0
    median_days: Optional[float] = None
    is_fracture: bool = False
    is_stall: bool = False

    @property
    def conversion(self) -> Optional[float]:
        return self.moved_on / self.entered if self.entered else None

    @property
    def loss_rate(self) -> Optional[float]:
        return self.lost / self.entered if self.entered else None


def _stays(period: Period, seller_id=None):
    """One row per stage entered in the period: the stage, when, and the next stage with when it came.

    Changes before the period are left out before the window runs: the next change after an entry in the
    period can only be later, so nothing is lost and the window reads only the period's rows.
    """
    order = (StageChange.changed_at, StageChange.id)
    statement = select(
        StageChange.lead_id,
        StageChange.to_stage_id.label("stage_id"),
        StageChange.changed_at.label("entered_at"),
        func.lead(StageChange.to_stage_id).over(partition_by=StageChange.lead_id, order_by=order)
        .label("next_stage_id"),
        func.lead(StageChange.changed_at).over(partition_by=StageChange.lead_id, order_by=order).label("left_at"),
    ).where(StageChange.changed_at >= period.starts_at)
    if seller_id is not None:
        statement = statement.where(StageChange.lead_id.in_(select(Lead.id).where(Lead.seller_id == seller_id)))
    return statement.subquery()


def _flow_counts(stays, period: Period, by_seller=False):
    here = aliased(PipelineStage)
    after = aliased(PipelineStage)
    moved_on = or_(after.kind == "won", and_(after.kind == "open", after.position > here.position))
    columns = [stays.c.stage_id]
    statement_from = stays.join(here, here.id == stays.c.stage_id).outerjoin(after, after.id == stays.c.next_stage_id)
    if by_seller:
        statement_from = statement_from.join(Lead, Lead.id == stays.c.lead_id)
        columns.insert(0, Lead.seller_id)
    statement = select(
        *columns,
        func.count(),
        func.sum(case((and_(stays.c.next_stage_id.is_not(None), moved_on), 1), else_=0)),
        func.sum(case((after.kind == "lost", 1), else_=0)),
        func.sum(case((stays.c.next_stage_id.is_(None), 1), else_=0)),
    ).select_from(statement_from).where(stays.c.entered_at < period.ends_at, here.kind == "open")
    return db.session.execute(statement.group_by(*columns)).all()


def _median_days(stays, period: Period):
    """{stage id: median days of completed stays}: rows numbered per stage, the middle one or two averaged."""
    days = days_between(stays.c.entered_at, stays.c.left_at)
    ranked = select(
        stays.c.stage_id,
        days.label("days"),
        func.row_number().over(partition_by=stays.c.stage_id, order_by=days).label("n"),
        func.count().over(partition_by=stays.c.stage_id).label("total"),
    ).where(stays.c.left_at.is_not(None), stays.c.entered_at < period.ends_at).subquery()
    middle = and_(ranked.c.n >= (ranked.c.total + 1) // 2, ranked.c.n <= (ranked.c.total + 2) // 2)
    return {stage_id: round(float(value), 1) for stage_id, value in db.session.execute(
        select(ranked.c.stage_id, func.avg(ranked.c.days)).where(middle).group_by(ranked.c.stage_id))}


def funnel(period: Period, seller_id=None) -> list[StageFlow]:
    """The open stages in pipeline order with their flow, the fracture and the stall marked. Two queries."""
    stays = _stays(period, seller_id)
    counts = {row[0]: row[1:] for row in _flow_counts(stays, period)}
    medians = _median_days(stays, period)
    flows = []
    for stage in active_stages():
        if stage.kind != "open":
            continue
        entered, moved_on, lost, still_there = (int(v or 0) for v in counts.get(stage.id, (0, 0, 0, 0)))
        flows.append(StageFlow(stage, entered, moved_on, lost, still_there,
                               went_back=entered - moved_on - lost - still_there,
                               median_days=medians.get(stage.id)))
    mark_fractures(flows)
    return flows


def mark_fractures(flows: list[StageFlow]) -> None:
    """The stage that keeps the smallest share of its deals, and the one where a stay lasts longest."""
    judged = [f for f in flows if f.entered >= MIN_DEALS_FOR_FRACTURE]
    if judged:
        worst = min(judged, key=lambda f: (f.conversion, -f.lost))
        if worst.conversion < 1:
            worst.is_fracture = True
    timed = [f for f in flows if f.median_days is not None]
    if timed:
        max(timed, key=lambda f: f.median_days).is_stall = True


def conversion_by_seller(period: Period) -> dict[Optional[int], dict[int, tuple[int, int]]]:
    """{seller id: {stage id: (entered, moved on)}}: how each seller's deals pass each stage. One query."""
    result: dict[Optional[int], dict[int, tuple[int, int]]] = {}
    for seller_id, stage_id, entered, moved_on, _lost, _still in _flow_counts(_stays(period), period, by_seller=True):
        result.setdefault(seller_id, {})[stage_id] = (int(entered), int(moved_on or 0))
    return result
