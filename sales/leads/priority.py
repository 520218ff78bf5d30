"""Whom to call first: a lead's priority (0–100) and the reasons behind it.

Four things count, as salespeople weigh them:
- history: a customer who bought before, or whom we already talk to, is easier to sell to (up to 25);
- opportunity: how much the deal is worth (up to 30);
- accessibility: how well we know and can reach the person (up to 20);
- risk of waiting: a competitor in play or a close deadline means tomorrow may be too late (up to 25).
"""
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Optional

from sales.clock import shop_today

# Deal size thresholds (shop currency) and their points: a bike, an e-bike, a small fleet.
VALUE_POINTS = ((Decimal("5000"), 30), (Decimal("2000"), 22), (Decimal("500"), 14), (Decimal("0.01"), 6))


@dataclass
class LeadFacts:
    """What the priority is computed from; gathered from the database by `facts_for(lead)`."""

    past_orders: int = 0
    past_contacts: int = 0
    estimated_value: Optional[Decimal] = None
    access_rating: Optional[int] = None        # 1 low … 3 high, None when not rated
    known_customer: bool = False                # the customer existed before this lead
    has_phone: bool = False
    has_email: bool = False
    competitor_involved: bool = False
    deadline: Optional[date] = None             # the earlier of decision deadline and expected close
    qualification: str = "pending"
    closed: bool = False
    today: date = field(default_factory=shop_today)


@dataclass
class Priority:
    score: int
    reasons: list  # [(code, points, params)] — codes are turned into words by the template

    def as_json(self):
        return json.dumps([[code, points, params] for code, points, params in self.reasons])


def priority_of(facts: LeadFacts) -> Priority:
    if facts.closed:
        return Priority(0, [("closed", 0, {})])
    if facts.qualification == "disqualified":
        return Priority(0, [("disqualified", 0, {})])
    reasons = []

    history = 0
    if facts.past_orders:
        history += 15 if facts.past_orders < 3 else 20
        reasons.append(("bought_before", 15 if facts.past_orders < 3 else 20, {"count": facts.past_orders}))
    if facts.past_contacts:
        points = 5 if facts.past_contacts < 3 else 10
        reasons.append(("contacted_before", points, {"count": facts.past_contacts}))
        history += points
    history = min(history, 25)

    opportunity = 0
    if facts.estimated_value:
        for threshold, points in VALUE_POINTS:
            if facts.estimated_value >= threshold:
                opportunity = points
                break
        reasons.append(("value", opportunity, {"value": str(facts.estimated_value)}))

    access = 0
    if facts.access_rating:
        access += facts.access_rating * 4
        reasons.append(("access_rating", facts.access_rating * 4, {"rating": facts.access_rating}))
    if facts.known_customer:
        access += 4
        reasons.append(("known_customer", 4, {}))
    reach = (2 if facts.has_phone else 0) + (2 if facts.has_email else 0)
    if reach:
        access += reach
        reasons.append(("reachable", reach, {"phone": facts.has_phone, "email": facts.has_email}))
    elif not facts.has_phone and not facts.has_email:
        reasons.append(("unreachable", 0, {}))
    access = min(access, 20)

    risk = 0
    if facts.competitor_involved:
        risk += 12
        reasons.append(("competitor", 12, {}))
    if facts.deadline:
        days = (facts.deadline - facts.today).days
        if days < 0:
            risk += 13
            reasons.append(("deadline_passed", 13, {"days": -days}))
        elif days <= 7:
            risk += 13
            reasons.append(("deadline_week", 13, {"days": days}))
        elif days <= 30:
            risk += 7
            reasons.append(("deadline_month", 7, {"days": days}))
    risk = min(risk, 25)

    if facts.qualification == "qualified":
        reasons.append(("qualified", 0, {}))
    score = max(0, min(100, history + opportunity + access + risk))
    return Priority(score, reasons)


def reasons_of(lead):
    """The stored reasons of a lead as (code, points, params) tuples."""
    if not lead.priority_reasons:
        return []
    return [tuple(item) for item in json.loads(lead.priority_reasons)]
