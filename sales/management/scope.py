"""Which part of the sales force a report covers: the whole shop, one branch, one team, the people in no team, or
one person — read from the query string (?scope=team-3, branch-2, no-team; ?seller=<id>).

A scope is a set of people: a report keeps the figures credited to them, with the very figure functions it uses
for the whole shop, so the teams of a shop plus "no team" add up to the shop (the deals with no seller belong to
"no team", as they belong to nobody's team). Whose figures a user may read is sales/records.py's decision: the
owner any scope; a team's manager their own team (shown when they ask for nothing else) and its people; a seller
themself.
"""
from dataclasses import dataclass, field
from typing import Optional

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from extensions import db
from models import Branch, Team, User
from sales import records
from sales.management.access import seller_from_args

NO_TEAM = "no-team"


@dataclass
class Scope:
    kind: str                              # shop, branch, team, no-team, seller
    label: str = ""
    key: str = ""                          # the ?scope= value ("" for the shop and one person)
    people: list = field(default_factory=list)   # everyone in it, any role, active or not (not for the shop)
    with_nobody: bool = False              # also the deals with no seller ("no team" and the shop)

    @property
    def is_shop(self) -> bool:
        return self.kind == "shop"

    @property
    def ids(self) -> Optional[list]:
        """The people's ids (None among them for "nobody"), or None for the whole shop: what the figure functions
        take to keep only these people's figures."""
        if self.is_shop:
            return None
        return [person.id for person in self.people] + ([None] if self.with_nobody else [])

    def keeps(self, person) -> bool:
        return self.is_shop or any(person.id == someone.id for someone in self.people)


def among(column, ids):
    """SQL: `column` (a seller) is one of `ids`, where None in `ids` stands for "no seller"."""
    named = [value for value in ids if value is not None]
    condition = column.in_(named)
    return or_(condition, column.is_(None)) if None in ids else condition


def _members(condition):
    return db.session.scalars(select(User).where(condition, records.visible(records.Figures, current_user))
                              .order_by(User.name, User.id)).all()


def choices(user) -> list[tuple[str, str]]:
    """The scopes `user` may pick in a report's list: [(?scope= value, label)] — none for a seller."""
    options = []
    for branch in db.session.scalars(select(Branch).where(records.branches_readable(user)).order_by(Branch.name)):
        options.append((f"branch-{branch.id}", _("Branch: %(name)s", name=branch.name)))
    for team in db.session.scalars(select(Team).where(records.teams_readable(user)).order_by(Team.name)):
        options.append((f"team-{team.id}", _("Team: %(name)s", name=team.name)))
    if records.may_read_unassigned(user) and options:
        options.append((NO_TEAM, _("No team")))
    return options


def _team(team_id):
    team = db.session.get(Team, team_id)
    if team is None or not db.session.scalar(select(Team.id).where(Team.id == team.id,
                                                                    records.teams_readable(current_user))):
        abort(404)
    return team


def _branch(branch_id):
    branch = db.session.get(Branch, branch_id)
    if branch is None or not db.session.scalar(select(Branch.id).where(Branch.id == branch.id,
                                                                        records.branches_readable(current_user))):
        abort(404)
    return branch


def from_args(args) -> tuple[Optional[User], Scope]:
    """(the person asked for or None, the scope). ?seller wins; without anything the owner gets the whole shop,
    a team's manager their team, a seller themself. A scope the user may not read is a 404."""
    raw = args.get("scope", "")
    if args.get("seller") or (not raw and not current_user.is_manager):
        seller = seller_from_args(args)
        if seller is None:
            return None, Scope("shop", _("Whole shop"), with_nobody=True)
        return seller, Scope("seller", seller.name, people=[seller])
    if not raw:
        raw = f"team-{current_user.team_id}"
    kind, _dash, number = raw.rpartition("-")
    if raw == NO_TEAM:
        if not records.may_read_unassigned(current_user):
            abort(404)
        return None, Scope(NO_TEAM, _("No team"), NO_TEAM, _members(User.team_id.is_(None)), with_nobody=True)
    if not number.isdigit() or kind not in ("team", "branch"):
        abort(404)
    if kind == "team":
        team = _team(int(number))
        return None, Scope("team", _("Team: %(name)s", name=team.name), raw, _members(User.team_id == team.id))
    branch = _branch(int(number))
    in_branch = User.team_id.in_(select(Team.id).where(Team.branch_id == branch.id))
    return None, Scope("branch", _("Branch: %(name)s", name=branch.name), raw, _members(in_branch))
