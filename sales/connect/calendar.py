"""Calendar feeds: what is in a user's diary, as iCalendar (RFC 5545) made with the `icalendar` library.

A seller's feed has their open next steps and planned visits (contacts of theirs dated ahead) and the promises
they made; whoever plans maintenance (owner, support) gets the maintenance visits; everyone gets the due times
of the tickets assigned to them. Dates without a time (a next step, a promise, a visit) are all-day events;
times are stored in UTC and written in the shop's time zone, with its VTIMEZONE, so a phone shows them right
whatever zone it is in.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import db
from models import (OPEN_TICKET_STATUSES, ContactLog, MaintenancePlan, Order, Promise, Ticket, utcnow)
from sales import records
from sales.policy import can
from sales.texts import shown

# A feed reaches this far back (overdue work still shows) and ahead.
PAST_DAYS = 60
AHEAD_DAYS = 400
PER_KIND_LIMIT = 1000
VISIT_CHANNELS = ("visit", "meeting")


@dataclass
class CalendarItem:
    uid: str
    summary: str
    start: date | datetime              # a date: all day; a datetime: naive UTC
    minutes: int = 0                    # length of a timed event
    description: Optional[str] = None
    url: Optional[str] = None
    location: Optional[str] = None


def shop_zone():
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _uid(kind, ident):
    return f"{kind}-{ident}@mostrador"


def _customer_url(customer_id):
    return url_for("customers.show", customer_id=customer_id, _external=True)


def _address(customer):
    parts = [customer.street, " ".join(p for p in (customer.postal_code, customer.city) if p), customer.country]
    return ", ".join(p for p in parts if p) or None


def next_step_item(log):
    return CalendarItem(uid=_uid("step", log.id), summary=f"{log.next_step} · {log.customer.name}",
                        start=log.next_step_due, description=shown(log.goal), url=_customer_url(log.customer_id))


def visit_item(log):
    return CalendarItem(uid=_uid("visit", log.id), summary=_("Visit: %(name)s", name=log.customer.name),
                        start=log.happened_at, minutes=60, description=shown(log.goal),
                        url=_customer_url(log.customer_id), location=_address(log.customer))


def promise_item(promise):
    customer = promise.order.customer
    return CalendarItem(uid=_uid("promise", promise.id),
                        summary=_("Promised: %(what)s · %(name)s", what=promise.description, name=customer.name),
                        start=promise.due_on, url=_customer_url(customer.id), location=_address(customer))


def maintenance_item(plan):
    return CalendarItem(uid=_uid("maintenance", plan.id),
                        summary=_("Maintenance visit: %(name)s", name=plan.customer.name),
                        start=plan.next_due_on, description=plan.notes, url=_customer_url(plan.customer_id),
                        location=_address(plan.customer))


def ticket_item(ticket):
    return CalendarItem(uid=_uid("ticket", ticket.id),
                        summary=_("Due: %(number)s %(title)s", number=ticket.number, title=ticket.title),
                        start=ticket.due_at - timedelta(minutes=30), minutes=30,
                        description=ticket.customer.name,
                        url=url_for("support.show", ticket_id=ticket.id, _external=True))


def items_for(user, today=None):
    """Everything in `user`'s diary from PAST_DAYS ago to AHEAD_DAYS ahead, a few queries in all."""
    today = today or datetime.now(shop_zone()).date()
    since, until = today - timedelta(days=PAST_DAYS), today + timedelta(days=AHEAD_DAYS)
    now = utcnow()
    items = []
    steps = db.session.scalars(
        select(ContactLog).options(joinedload(ContactLog.customer))
        .where(ContactLog.user_id == user.id, ContactLog.next_step.is_not(None),
               ContactLog.next_step_due.is_not(None), ContactLog.next_step_done_at.is_(None),
               ContactLog.next_step_due.between(since, until))
        .order_by(ContactLog.next_step_due).limit(PER_KIND_LIMIT))
    items += [next_step_item(log) for log in steps]
    visits = db.session.scalars(
        select(ContactLog).options(joinedload(ContactLog.customer))
        .where(ContactLog.user_id == user.id, ContactLog.channel.in_(VISIT_CHANNELS),
               ContactLog.happened_at >= now - timedelta(days=1), ContactLog.happened_at <= now + timedelta(AHEAD_DAYS))
        .order_by(ContactLog.happened_at).limit(PER_KIND_LIMIT))
    items += [visit_item(log) for log in visits]
    promises = db.session.scalars(
        select(Promise).options(joinedload(Promise.order).joinedload(Order.customer))
        .where(Promise.seller_id == user.id, Promise.done_at.is_(None), Promise.due_on.between(since, until))
        .order_by(Promise.due_on).limit(PER_KIND_LIMIT))
    items += [promise_item(p) for p in promises]
    if can(user, "maintenance.plan"):
        plans = db.session.scalars(
            select(MaintenancePlan).options(joinedload(MaintenancePlan.customer))
            .where(MaintenancePlan.active, MaintenancePlan.next_due_on.between(since, until),
                   records.visible(MaintenancePlan, user))
            .order_by(MaintenancePlan.next_due_on).limit(PER_KIND_LIMIT))
        items += [maintenance_item(plan) for plan in plans]
    tickets = db.session.scalars(
        select(Ticket).options(joinedload(Ticket.customer))
        .where(Ticket.assignee_id == user.id, Ticket.status.in_(OPEN_TICKET_STATUSES))
        .order_by(Ticket.due_at).limit(PER_KIND_LIMIT))
    items += [ticket_item(t) for t in tickets]
    return items


def _event(item, zone, stamp):
    event = icalendar.Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("summary", item.summary)
    if isinstance(item.start, datetime):
        start = item.start.replace(tzinfo=timezone.utc, microsecond=0).astimezone(zone)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=item.minutes or 30))
    else:
        event.add("dtstart", item.start)
        event.add("dtend", item.start + timedelta(days=1))
        event.add("transp", "TRANSPARENT")      # a day's to-do does not make the whole day busy
    if item.description:
        event.add("description", item.description)
    if item.location:
        event.add("location", item.location)
    if item.url:
        event.add("url", item.url)
    return event


def calendar_bytes(items, name):
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Mostrador//CRM//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", current_app.config["BABEL_DEFAULT_TIMEZONE"])
    # Phones poll subscribed calendars; this asks for every hour or so.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    zone, stamp = shop_zone(), datetime.now(timezone.utc)
    for item in items:
        calendar.add_component(_event(item, zone, stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()
