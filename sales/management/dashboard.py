"""The home page's numbers: today's follow-ups, the pipeline by stage, this month against its goals, overdue
tickets and the latest satisfaction. The owner sees the shop; a seller sees their own; support sees theirs."""
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models import ContactLog, Survey, Ticket, User, utcnow
from sales.leads.contacts import due_steps
from sales.leads.rules import stage_totals
from sales.leads.stages import ensure_default_stages
from sales.management import metrics
from sales.management.periods import period_of
from sales.support.rules import gap_totals, overdue_condition, visible_tickets

SATISFACTION_DAYS = 90


def follow_ups(user, today: date) -> dict:
    """The user's own next steps due by today; for the owner also how many each person has due."""
    mine = due_steps(user.id, today)
    by_person = []
    if user.is_owner:
        by_person = db.session.execute(
            select(User.name, func.count()).select_from(ContactLog).join(User, User.id == ContactLog.user_id)
            .where(ContactLog.next_step_done_at.is_(None), ContactLog.next_step_due <= today)
            .group_by(User.id, User.name).order_by(func.count().desc(), User.name)).all()
    return {"mine": mine[:8], "mine_count": len(mine), "by_person": by_person}


def pipeline(user) -> list[dict]:
    """Open and closed stages with their deal count and value: the owner's whole shop, a seller's own."""
    seller_id = None if user.is_owner else user.id
    totals = stage_totals(user, seller_id)
    return [{"stage": stage, "count": totals.get(stage.id, (0, 0))[0], "value": totals.get(stage.id, (0, 0))[1]}
            for stage in ensure_default_stages()]


def overdue_tickets(user, now, limit=5) -> dict:
    statement = visible_tickets(user, select(Ticket).where(overdue_condition(now)))
    count = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    tickets = db.session.scalars(statement.options(selectinload(Ticket.customer))
                                 .order_by(Ticket.due_at, Ticket.id).limit(limit)).all()
    return {"count": count, "tickets": tickets}


def satisfaction(user, now, limit=3) -> dict:
    since = now - timedelta(days=SATISFACTION_DAYS)
    seller_id = user.id if user.role == "seller" else None
    comments = select(Survey).options(selectinload(Survey.customer)).where(
        Survey.answered_at.is_not(None), Survey.answered_at >= since)
    if seller_id is not None:
        comments = comments.where(Survey.seller_id == seller_id)
    return {"totals": gap_totals(since, seller_id=seller_id), "days": SATISFACTION_DAYS,
            "latest": db.session.scalars(comments.order_by(Survey.answered_at.desc(), Survey.id.desc())
                                         .limit(limit)).all()}


def dashboard(user, today: date) -> dict:
    now = utcnow()
    context = {"today": today, "follow_ups": follow_ups(user, today), "tickets": overdue_tickets(user, now),
               "satisfaction": satisfaction(user, now)}
    if user.role in ("owner", "seller"):
        period = period_of("month", today)
        people = metrics.sellers() if user.is_owner else [user]
        board = metrics.goal_progress(period, people)
        if user.is_owner:
            board = metrics.without_idle_owner(board, lambda entry: entry.seller, lambda entry: bool(entry.goals))
        context.update(period=period, pipeline=pipeline(user), goals=board,
                       shop_goals=metrics.shop_goal_progress(board) if user.is_owner else [],
                       expected_share=period.elapsed_share(today))
    return context
