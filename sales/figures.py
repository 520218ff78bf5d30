"""One definition per figure: what the shop's numbers count, written once and used by every page, CSV and API
that shows them (Performance, Goals, Commissions, the dashboard, My day, the negotiation reports). Each is a
SQL expression or condition, so every report aggregates it in its own GROUP BY and the numbers agree.

- **Who a sale is credited to**: the seller of the order; an order with no seller falls back to its lead's.
  A won deal is credited the same way — to the seller of the order it became (the first one), or else the
  lead's seller — so Performance, Goals and Commissions credit the same sale to the same person.
- **A contact**: a visit, call, email, letter, chat… logged with a customer; a note written when closing a deal
  is paperwork, not a contact.
- **A win / a loss**: a deal in a won / lost stage, counted in the period its stage was reached (closed_at).
- **Revenue**: what won deals brought in — the amount recorded when closing, or the estimate when none was.
- **The currency of an amount**: an order's (or a quote's, a ticket charge's) is the one it was made in. A deal's
  amount is in the currency of the order it became (the first one), or else in the shop's: an amount with no
  document of its own is in the shop's currency (sales/money.py). Amounts are summed per currency, never
  converted: every money figure below is grouped by its currency as well, and the reports show one sum each.
- **An open deal**: a deal in an open stage (not won, not lost) and not disqualified, valued at its estimate.
- **Due today / overdue**: an open next step or promise whose date is today / before today in the shop's
  calendar; "due" means either. A lead from the web form that nobody has contacted yet is due for its seller
  from the moment it arrives. A ticket is due today when it will be past its response time before the day
  ends (sales.support.rules.overdue_condition), overdue when it already is.
"""
from datetime import date

from sqlalchemy import and_, case, exists, func, select

from models import ContactLog, Lead, Order, PipelineStage, Promise

NOT_A_CONTACT = ("note",)


def is_contact():
    return ContactLog.channel.not_in(NOT_A_CONTACT)


def is_won():
    return PipelineStage.kind == "won"


def is_lost():
    return PipelineStage.kind == "lost"


def is_open_deal():
    return and_(PipelineStage.kind == "open", Lead.qualification != "disqualified")


def deal_revenue():
    """A won deal's amount: the one recorded when closing, or its estimate."""
    return func.coalesce(Lead.won_amount, Lead.estimated_value, 0)


def deal_currency():
    """The currency a deal's amount is in: that of the (first) order it became, or else the shop's."""
    from sales.money import shop_currency

    from_order = (select(Order.currency).where(Order.lead_id == Lead.id)
                  .order_by(Order.ordered_on, Order.id).limit(1).correlate(Lead).scalar_subquery())
    return func.coalesce(from_order, shop_currency())


def order_amount_in(currency, amount=Order.total):
    """An order's amount when it was made in `currency`, else 0: to sum one currency's orders in a GROUP BY."""
    return case((Order.currency == currency, amount), else_=0)


def order_seller(lead=Lead):
    """Who an order's sale is credited to (needs the lead outer-joined on Order.lead_id)."""
    return func.coalesce(Order.seller_id, lead.seller_id)


def deal_seller():
    """Who a deal is credited to: the seller of the order it became, or else the lead's seller."""
    from_order = (select(Order.seller_id).where(Order.lead_id == Lead.id, Order.seller_id.is_not(None))
                  .order_by(Order.ordered_on, Order.id).limit(1).correlate(Lead).scalar_subquery())
    return func.coalesce(from_order, Lead.seller_id)


def step_open():
    return and_(ContactLog.next_step_due.is_not(None), ContactLog.next_step_done_at.is_(None))


def step_due(today: date):
    """An open next step due today or earlier (overdue)."""
    return and_(step_open(), ContactLog.next_step_due <= today)


def promise_due(today: date):
    return and_(Promise.done_at.is_(None), Promise.due_on <= today)


def awaiting_first_contact():
    """An open lead from the public web form with no contact logged on it yet: its seller's to call today."""
    open_stage = select(PipelineStage.id).where(PipelineStage.kind == "open").scalar_subquery()
    return and_(Lead.source == "web_form", Lead.stage_id.in_(open_stage), Lead.qualification != "disqualified",
                ~exists().where(ContactLog.lead_id == Lead.id))
