"""Funnel fractures: how deals pass through each open stage in a period, and how long they stay.

Everything comes from the stage-change history, aggregated in SQL along covering indexes:
- reached: deals that entered the stage during the period;
- left: deals that left it during the period — moved on (to a later open stage or a won one), lost here (to a
  lost stage) or went back (to an earlier stage);
- conversion: moved on / left, so deals still deciding do not count against the stage;
- median days: the typical stay of the deals that left the stage in the period (from a histogram of stays in
  tenths of a day, so the database does the counting and only a few hundred numbers come back).
The comparison between sellers is one more GROUP BY joined to the leads, shown when the owner asks for it.

The fracture is the open stage that lets the smallest share of its deals through; the stall is the open stage
with the longest median stay.
"""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import BigInteger, cast, func, select

from extensions import db
from models import Lead, PipelineStage, StageChange
from sales.management.periods import Period
from sales.management.sql import days_between

# Fewer deals than this leaving a stage say nothing about it: it cannot be "the" fracture.
MIN_DEALS_FOR_FRACTURE = 3
# The histogram of stays groups by one whole number, tenths × STAY_KEY + stage id (stage ids are below it):
# SQLite sorts a single integer key about a quarter faster than the two columns, on a year of moves.
STAY_KEY = 2 ** 31


@dataclass
class StageFlow:
    stage: PipelineStage
    reached: int = 0
    moved_on: int = 0
    lost: int = 0
    went_back: int = 0
    median_days: Optional[float] = None
    is_fracture: bool = False
    is_stall: bool = False

    @property
    def left(self) -> int:
        return self.moved_on + self.lost + self.went_back

    @property
    def conversion(self) -> Optional[float]:
        return self.moved_on / self.left if self.left else None


def _in_period(period: Period, seller_id=None, seller_ids=None):
    """The moves of the period; of one seller's deals, or of the deals of `seller_ids` (a team's, a branch's…;
    None among them: the deals with no seller)."""
    from sales.management.scope import among

    conditions = [StageChange.changed_at >= period.starts_at, StageChange.changed_at < period.ends_at]
    if seller_id is not None:
        seller_ids = [seller_id]
    if seller_ids is not None:
        conditions.append(StageChange.lead_id.in_(select(Lead.id).where(among(Lead.seller_id, seller_ids))))
    return conditions


def outcome(stage: PipelineStage, after: Optional[PipelineStage]) -> str:
    """What a move out of `stage` to `after` means for the funnel: moved_on, lost or went_back."""
    if after is None:
        return "went_back"
    if after.kind == "lost":
        return "lost"
    if after.kind == "won" or after.position > stage.position:
        return "moved_on"
    return "went_back"


def median_of_histogram(buckets) -> Optional[float]:
    """The median of values given as (value, how many) pairs: the middle one, or the mean of the middle two."""
    buckets = sorted((float(value), int(count)) for value, count in buckets if value is not None and count)
    total = sum(count for _value, count in buckets)
    if not total:
        return None
    wanted = ((total + 1) // 2, total // 2 + 1)   # 1-based positions of the middle value(s)
    found, seen = [], 0
    for value, count in buckets:
        seen_before, seen = seen, seen + count
        found.extend(value for position in wanted if seen_before < position <= seen)
    return round(sum(found) / len(found), 1)


def _flows(period, seller_id=None, seller_ids=None):
    """(reached per stage, moves per (from, to), stay histogram per stage): two small GROUP BYs."""
    where = _in_period(period, seller_id, seller_ids)
    # Moves from nowhere (a lead's first stage) included: what reached a stage is every move into it.
    moves = db.session.execute(select(StageChange.from_stage_id, StageChange.to_stage_id, func.count())
                               .where(*where).group_by(StageChange.from_stage_id, StageChange.to_stage_id)).all()
    reached = {}
    for _from_id, to_id, count in moves:
        reached[to_id] = reached.get(to_id, 0) + count
    # Tenths of a day as whole numbers: grouping by them is cheap, and a tenth is as precise as the page shows.
    tenths = cast(func.round(days_between(StageChange.from_stage_entered_at, StageChange.changed_at) * 10),
                  BigInteger)
    key = (tenths * STAY_KEY + StageChange.from_stage_id).label("stay_key")
    rows = db.session.execute(select(key, func.count())
                              .where(*where, StageChange.from_stage_entered_at.is_not(None)).group_by(key))
    histogram = [(packed % STAY_KEY, packed // STAY_KEY, count) for packed, count in rows]
    return reached, moves, histogram


def funnel(period: Period, seller_id=None, seller_ids=None) -> list[StageFlow]:
    """The open stages in pipeline order with their flow; the fracture and the stall marked. Of one seller's
    deals, of those of `seller_ids` (a team's), or of the whole shop's."""
    # Every stage once: the active ones in pipeline order, and any (a retired one too) a deal moved to.
    every = db.session.scalars(select(PipelineStage).order_by(PipelineStage.position, PipelineStage.id)).all()
    stages = [stage for stage in every if stage.active]
    by_id = {stage.id: stage for stage in every}
    reached, moves, histogram = _flows(period, seller_id, seller_ids)
    flows = {stage.id: StageFlow(stage, reached=reached.get(stage.id, 0)) for stage in stages if stage.kind == "open"}
    for from_id, to_id, count in moves:
        if from_id in flows:
            flow = flows[from_id]
            kind = outcome(flow.stage, by_id.get(to_id))
            setattr(flow, kind, getattr(flow, kind) + count)
    stays = {}
    for from_id, tenths, count in histogram:
        stays.setdefault(from_id, []).append((float(tenths) / 10, count))
    for stage_id, flow in flows.items():
        flow.median_days = median_of_histogram(stays.get(stage_id, []))
    result = list(flows.values())
    mark_fractures(result)
    return result


def mark_fractures(flows: list[StageFlow]) -> None:
    """The stage that lets the smallest share of its deals through, and the one where a stay lasts longest."""
    judged = [f for f in flows if f.left >= MIN_DEALS_FOR_FRACTURE]
    if judged:
        worst = min(judged, key=lambda f: (f.conversion, -f.lost))
        if worst.conversion < 1:
            worst.is_fracture = True
    timed = [f for f in flows if f.median_days is not None]
    if timed:
        max(timed, key=lambda f: f.median_days).is_stall = True


def conversion_by_seller(period: Period) -> dict[Optional[int], dict[int, tuple[int, int]]]:
    """{seller id: {stage id: (left, moved on)}}: how each seller's deals leave each open stage. One query."""
    by_id = {stage.id: stage for stage in db.session.scalars(select(PipelineStage))}
    rows = db.session.execute(
        select(Lead.seller_id, StageChange.from_stage_id, StageChange.to_stage_id, func.count())
        .join(Lead, Lead.id == StageChange.lead_id)
        .where(*_in_period(period), StageChange.from_stage_id.is_not(None))
        .group_by(Lead.seller_id, StageChange.from_stage_id, StageChange.to_stage_id)).all()
    result: dict[Optional[int], dict[int, tuple[int, int]]] = {}
    for seller_id, from_id, to_id, count in rows:
        stage = by_id.get(from_id)
        if stage is None or stage.kind != "open":
            continue
        left, moved_on = result.setdefault(seller_id, {}).get(from_id, (0, 0))
        moved = count if outcome(stage, by_id.get(to_id)) == "moved_on" else 0
        result[seller_id][from_id] = (left + count, moved_on + moved)
    return result
