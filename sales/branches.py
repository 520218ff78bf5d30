"""Territories: which branch a new lead lands in, and which seller of the branch gets it.

The owner's rules say "leads from this city / postal code / source go to this branch" (the first rule that
matches wins; a postal code matches by its start, so "28" is all of Madrid). The branch then gives the lead to
its default seller, or round robin to the active sellers of its teams, one each in turn.
"""
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import Branch, BranchRule, Lead, Team, User
from sales.matching import match_key


def _matches(rule: BranchRule, lead: Lead) -> bool:
    customer = lead.customer
    if rule.field == "source":
        return lead.source == rule.value
    if rule.field == "postal_code":
        code = "".join((customer.postal_code or "").split()).upper()
        return bool(code) and code.startswith("".join(rule.value.split()).upper())
    return bool(customer.city) and match_key(customer.city) == match_key(rule.value)


def all_rules() -> list[BranchRule]:
    return db.session.scalars(select(BranchRule).order_by(BranchRule.id)).all()


def branch_for(lead: Lead, rules=None) -> Optional[Branch]:
    """The branch the owner's rules send this lead to, or the customer's own branch, or none. `rules`: the
    rules read once for many leads (an import)."""
    for rule in all_rules() if rules is None else rules:
        if _matches(rule, lead):
            return rule.branch
    return lead.customer.branch


def branch_sellers(branch: Branch) -> list[User]:
    """The active sellers of the branch's teams, in a fixed order (round robin's circle)."""
    return db.session.scalars(select(User).join(Team, Team.id == User.team_id)
                              .where(Team.branch_id == branch.id, User.active, User.role == "seller")
                              .order_by(User.id)).all()


def next_seller(branch: Branch) -> Optional[User]:
    if branch.assignment == "default":
        seller = branch.default_seller
        return seller if seller is not None and seller.active else None
    circle = branch_sellers(branch)
    if not circle:
        return None
    after = [person for person in circle if branch.last_seller_id is not None and person.id > branch.last_seller_id]
    chosen = after[0] if after else circle[0]
    branch.last_seller_id = chosen.id
    return chosen


def route(lead: Lead, rules=None, with_seller=True) -> Optional[Branch]:
    """Put a lead nobody works yet in its branch and (`with_seller`) with the branch's seller. Two leads at once
    never get the same turn: the branch row is locked while its turn moves on (PostgreSQL; SQLite writes one at a
    time)."""
    branch = branch_for(lead, rules)
    if branch is None:
        return None
    branch = db.session.scalars(select(Branch).where(Branch.id == branch.id).with_for_update()).one()
    lead.branch = branch
    if lead.customer.branch_id is None:
        lead.customer.branch = branch
    if lead.seller_id is None and with_seller:
        seller = next_seller(branch)
        if seller is not None:
            lead.seller, lead.seller_id = seller, seller.id   # the id too: an import reads it before the flush
            if lead.customer.owner_id is None:
                lead.customer.owner = seller
    return branch
