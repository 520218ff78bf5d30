"""Seller performance and goal progress: plain functions over a Period, each metric one GROUP BY in SQL.

Definitions (shown to the owner on the pages too; the figures themselves are written once in sales.figures):
- revenue: the amount of deals won in the period (the won amount, or the estimate when none was recorded), summed
  per currency (sales.money.Amounts: a shop that changed currency has deals in both, never converted);
- deals won / lost: deals moved to a won / lost stage in the period; win rate = won / (won + lost); a deal
  counts for the seller it is credited to — the seller of its order, or else the lead's seller;
- average deal: revenue / deals won, in each currency (its revenue over the deals won in it); sales cycle: average days from a won deal's creation to its closing;
- new leads: leads created in the period; contacts: contacts logged in the period (not internal notes);
- satisfaction gap: experience − expectation in surveys about the seller's sales answered in the period.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from sqlalchemy import case, func, literal, select, union_all

from extensions import db
from models import ContactLog, Goal, Lead, PipelineStage, User
from sales import figures, records
from sales.management.periods import Period
from sales.management.sql import days_between
from sales.money import Amounts
from sales.support.rules import gap_report_with_totals, gap_totals

ZERO = Decimal("0")


@dataclass
class Performance:
    seller_id: Optional[int]
    new_leads: int = 0
    contacts: int = 0
    won: int = 0
    lost: int = 0
    revenue: Amounts = field(default_factory=Amounts)
    won_in: dict = field(default_factory=dict)      # {currency: deals won in it}: each currency's average deal
    cycle_days_total: float = 0.0
    gap: Optional[float] = None
    gap_answers: int = 0

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Optional[float]:
        return self.won / self.closed if self.closed else None

    @property
    def average_deal(self) -> Optional[Amounts]:
        return self.revenue.divided(self.won_in) if self.won else None

    @property
    def cycle_days(self) -> Optional[float]:
        return round(self.cycle_days_total / self.won, 1) if self.won else None

    @property
    def is_active(self) -> bool:
        return bool(self.new_leads or self.contacts or self.won or self.lost)

    def value(self, metric: str):
        """The actual figure a goal of `metric` is measured against: a revenue goal is in the shop's currency, so
        only the revenue in it counts (`revenue.others()` is what is left out)."""
        return {"revenue": self.revenue.get(), "deals_won": self.won, "new_leads": self.new_leads,
                "contacts": self.contacts}[metric]


def _in(column, period: Period):
    return (column >= period.starts_at) & (column < period.ends_at)


class PerformanceRows(dict):
    """{seller id: Performance}; `shop_gap`: the satisfaction totals of the whole shop in the period (when the
    whole shop was counted), `gap_windows`: gap_totals() of each window asked for, read with the rows."""

    shop_gap: Optional[dict] = None
    gap_windows: list = []


def _only(column, statement, seller_ids):
    from sales.management.scope import among

    return statement.where(among(column, seller_ids)) if seller_ids is not None else statement


def activity_parts(period: Period, seller_ids=None) -> list:
    """The new leads and the contacts of the period, a GROUP BY each (kind, seller id, count): performance()
    reads them with its other figures, or a page with its other counts (sales.tally) and hands them over."""
    return [_only(Lead.seller_id, select(literal("new_leads"), Lead.seller_id, func.count())
                  .where(_in(Lead.created_at, period)).group_by(Lead.seller_id), seller_ids),
            _only(ContactLog.user_id, select(literal("contacts"), ContactLog.user_id, func.count())
                  .where(_in(ContactLog.happened_at, period), figures.is_contact())
                  .group_by(ContactLog.user_id), seller_ids)]


def performance(period: Period, seller_ids=None, gap_windows=(), activity=None) -> PerformanceRows:
    """{seller id: Performance} for the period; three GROUP BY queries whatever the number of leads.

    `seller_ids` limits the answer to those sellers (and always includes them, with zeros when idle); None among
    them stands for what is credited to nobody. `gap_windows`: (since, until, seller id) of satisfaction totals
    the page shows too, counted in the same statement as the sellers' gaps. `activity`: the rows of
    activity_parts(period, seller_ids) when the page read them with its other counts.
    """
    result = PerformanceRows()

    def row(seller_id):
        return result.setdefault(seller_id, Performance(seller_id))

    def only(column, statement):
        return _only(column, statement, seller_ids)

    for seller_id in seller_ids or ():
        row(seller_id)
    # New leads and contacts in one statement: a GROUP BY each, joined by UNION ALL.
    if activity is None:
        activity = db.session.execute(union_all(*activity_parts(period, seller_ids))).all()
    for kind, seller_id, count, *_ in activity:
        setattr(row(seller_id), kind, count)
    won = figures.is_won()
    credited = figures.deal_seller().label("credited")
    currency = figures.deal_currency().label("currency")
    # A deal created and closed in one request may close a few microseconds "before" it was created: never < 0.
    days = days_between(Lead.created_at, Lead.closed_at)
    cycle = case((days < 0, 0), else_=days)
    closed = db.session.execute(only(credited, select(
        credited, currency,
        func.sum(case((won, 1), else_=0)),
        func.sum(case((won, 0), else_=1)),
        func.sum(case((won, figures.deal_revenue()), else_=0)),
        func.sum(case((won, cycle), else_=0)),
    ).join(PipelineStage, PipelineStage.id == Lead.stage_id)
        .where(PipelineStage.kind != "open", _in(Lead.closed_at, period)).group_by(credited, currency)))
    for seller_id, deal_currency, won_count, lost_count, revenue, cycle_days in closed:
        entry = row(seller_id)
        entry.won += int(won_count or 0)
        entry.lost += int(lost_count or 0)
        if won_count:
            entry.won_in[deal_currency] = entry.won_in.get(deal_currency, 0) + int(won_count)
            entry.revenue += Amounts.of(Decimal(str(revenue or 0)).quantize(Decimal("0.01")), deal_currency)
        entry.cycle_days_total += float(cycle_days or 0)
    windows = list(gap_windows)
    if seller_ids is None:
        windows.insert(0, (period.starts_at, period.ends_at, None))
    gaps, totals = gap_report_with_totals("seller", period.starts_at, period.ends_at, windows)
    if seller_ids is None:
        result.shop_gap, totals = totals[0], totals[1:]
    result.gap_windows = totals
    for gap in gaps:
        if seller_ids is None or gap["key"] in seller_ids:
            entry = row(gap["key"])
            entry.gap, entry.gap_answers = gap["gap"], gap["answers"]
    return result


def added_up(rows) -> Performance:
    """Several rows' figures as one: counts summed, amounts summed per currency, rates worked out from the sums."""
    total = Performance(None)
    for entry in rows:
        total.new_leads += entry.new_leads
        total.contacts += entry.contacts
        total.won += entry.won
        total.lost += entry.lost
        total.revenue += entry.revenue
        for currency, count in entry.won_in.items():
            total.won_in[currency] = total.won_in.get(currency, 0) + count
        total.cycle_days_total += entry.cycle_days_total
    return total


def shop_total(period: Period, rows: dict) -> Performance:
    """The whole shop: the sellers' rows added up, and the satisfaction gap over every answered survey."""
    total = added_up(rows.values())
    totals = getattr(rows, "shop_gap", None) or gap_totals(period.starts_at, period.ends_at)
    total.gap, total.gap_answers = totals["gap"], totals["answers"]
    return total


def sellers(active_only=True, readable_by=None):
    """The people who sell: sellers, and the owner when they sell too (they can own leads); with `readable_by`,
    only those whose numbers that user may read (sales/records.py)."""
    return db.session.scalars(_sellers(active_only, readable_by)).all()


def _sellers(active_only, readable_by):
    statement = select(User).where(User.role.in_(("owner", "seller"))).order_by(User.name, User.id)
    if active_only:
        statement = statement.where(User.active)
    if readable_by is not None:
        statement = statement.where(records.visible(records.Figures, readable_by))
    return statement


def sellers_and_goals(period: Period, active_only=True, readable_by=None):
    """sellers() and their goals for the period in one statement (each seller joined with their goals):
    (people, (their ids, goals_for(period, their ids))) — what goal_progress() takes as `goals`."""
    people: dict[int, User] = {}
    goals: dict[int, dict[str, Goal]] = {}
    statement = _sellers(active_only, readable_by).add_columns(Goal).outerjoin(
        Goal, (Goal.seller_id == User.id) & (Goal.period == period.key))
    for person, goal in db.session.execute(statement):
        people.setdefault(person.id, person)
        if goal is not None:
            goals.setdefault(person.id, {})[goal.metric] = goal
    return list(people.values()), (list(people), goals)


def without_idle_owner(rows, person_of, has_data):
    """The owner is listed with the sellers only when they sell too (have numbers or goals of their own)."""
    return [row for row in rows if person_of(row).role != "owner" or has_data(row)]


# --- Goals ------------------------------------------------------------------------------------------------------


@dataclass
class GoalProgress:
    metric: str
    target: Decimal
    actual: Decimal
    left_out: Amounts = field(default_factory=Amounts)   # a revenue goal: what was won in other currencies

    @property
    def share(self) -> Optional[float]:
        """Actual / target (may pass 1.0); None for a zero target."""
        return float(self.actual) / float(self.target) if self.target else None

    @property
    def bar_percent(self) -> int:
        return min(100, round((self.share or 0) * 100))

    @property
    def reached(self) -> bool:
        return self.actual >= self.target


@dataclass
class SellerGoals:
    seller: User
    performance: Performance
    goals: list[GoalProgress] = field(default_factory=list)


def goals_for(period: Period, seller_ids=None) -> dict[int, dict[str, Goal]]:
    statement = select(Goal).where(Goal.period == period.key)
    if seller_ids is not None:
        statement = statement.where(Goal.seller_id.in_(seller_ids))
    result: dict[int, dict[str, Goal]] = {}
    for goal in db.session.scalars(statement):
        result.setdefault(goal.seller_id, {})[goal.metric] = goal
    return result


def goal_progress(period: Period, people, everyone=None, goals=None) -> list[SellerGoals]:
    """Each person's goals for the period with the actual figure next to each: three or four queries in all.
    `everyone`: performance(period) of the whole shop when the page has it already (each seller's row is the
    same whether or not the others are counted with it). `goals`: (ids, goals_for(period, ids)) when the page
    has read them already for everyone in `people`."""
    from models import GOAL_METRICS

    ids = [person.id for person in people]
    if everyone is None:
        numbers = performance(period, ids)
    else:
        numbers = {i: everyone.get(i) or Performance(i) for i in ids}
    if goals is not None and set(ids) <= set(goals[0]):
        goals = goals[1]
    else:
        goals = goals_for(period, ids)
    board = []
    for person in people:
        mine = goals.get(person.id, {})
        board.append(SellerGoals(person, numbers[person.id], [
            GoalProgress(metric, mine[metric].target, Decimal(str(numbers[person.id].value(metric))),
                         numbers[person.id].revenue.others() if metric == "revenue" else Amounts())
            for metric in GOAL_METRICS if metric in mine]))
    return board


def shop_goal_progress(board: list[SellerGoals], shop: Performance) -> list[GoalProgress]:
    """The shop's goal per metric: its sellers' targets added up (only sellers with that goal), against what
    the whole shop did (`shop`, the Performance report's whole-shop row: every seller and deals with none)."""
    from models import GOAL_METRICS

    totals = []
    for metric in GOAL_METRICS:
        entries = [g for person in board for g in person.goals if g.metric == metric]
        if entries:
            totals.append(GoalProgress(metric, sum((g.target for g in entries), ZERO),
                                       Decimal(str(shop.value(metric))),
                                       shop.revenue.others() if metric == "revenue" else Amounts()))
    return totals


def set_goal(seller_id: int, period: Period, metric: str, target: Optional[Decimal]) -> Optional[Goal]:
    """Create, change or (with no target) remove one goal."""
    goal = db.session.scalar(select(Goal).where(Goal.seller_id == seller_id, Goal.period == period.key,
                                                Goal.metric == metric))
    if target is None:
        if goal is not None:
            db.session.delete(goal)
        return None
    if goal is None:
        goal = Goal(seller_id=seller_id, period=period.key, metric=metric, target=target)
        db.session.add(goal)
    else:
        goal.target = target
    return goal
