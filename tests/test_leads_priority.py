"""The priority rule, called directly: every reason, its points, and the edges of each band."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from sales.leads.priority import LeadFacts, priority_of

TODAY = date(2026, 11, 24)


def codes(priority):
    return {code: points for code, points, _params in priority.reasons}


def test_a_stranger_with_no_details_scores_nothing():
    priority = priority_of(LeadFacts(today=TODAY))
    assert priority.score == 0
    assert "unreachable" in codes(priority)


def test_history_counts_past_purchases_and_contacts():
    priority = priority_of(LeadFacts(past_orders=1, past_contacts=4, today=TODAY))
    assert codes(priority) == {"bought_before": 15, "contacted_before": 10, "unreachable": 0}
    assert priority.score == 25
    # History is capped at 25, however loyal.
    assert priority_of(LeadFacts(past_orders=9, past_contacts=9, today=TODAY)).score == 25


@pytest.mark.parametrize("value, points", [
    ("0.01", 6), ("499.99", 6), ("500", 14), ("1999.99", 14), ("2000", 22), ("4999.99", 22), ("5000", 30),
    ("250000", 30),
])
def test_opportunity_size_bands(value, points):
    priority = priority_of(LeadFacts(estimated_value=Decimal(value), today=TODAY))
    assert codes(priority)["value"] == points


def test_accessibility_adds_rating_knowledge_and_reach_up_to_20():
    facts = LeadFacts(access_rating=3, known_customer=True, has_phone=True, has_email=True, today=TODAY)
    assert codes(priority_of(facts)) == {"access_rating": 12, "known_customer": 4, "reachable": 4}
    assert priority_of(facts).score == 20


@pytest.mark.parametrize("days, code, points", [
    (-1, "deadline_passed", 13), (0, "deadline_week", 13), (7, "deadline_week", 13), (8, "deadline_month", 7),
    (30, "deadline_month", 7), (31, None, 0),
])
def test_risk_of_waiting_grows_as_the_deadline_nears(days, code, points):
    priority = priority_of(LeadFacts(deadline=TODAY + timedelta(days=days), today=TODAY))
    if code:
        assert codes(priority)[code] == points
    else:
        assert not {"deadline_passed", "deadline_week", "deadline_month"} & set(codes(priority))


def test_competitor_and_close_deadline_are_capped_at_25():
    facts = LeadFacts(competitor_involved=True, deadline=TODAY, today=TODAY)
    assert priority_of(facts).score == 25


def test_the_hottest_lead_scores_100():
    facts = LeadFacts(past_orders=3, past_contacts=3, estimated_value=Decimal("9000"), access_rating=3,
                      known_customer=True, has_phone=True, has_email=True, competitor_involved=True,
                      deadline=TODAY + timedelta(days=2), qualification="qualified", today=TODAY)
    assert priority_of(facts).score == 100


def test_disqualified_and_closed_leads_drop_to_zero_with_a_reason():
    hot = dict(past_orders=3, estimated_value=Decimal("9000"), today=TODAY)
    assert priority_of(LeadFacts(**hot, qualification="disqualified")).reasons == [("disqualified", 0, {})]
    assert priority_of(LeadFacts(**hot, closed=True)).score == 0
