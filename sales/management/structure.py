"""The sales force's figures by its structure: per branch, team, manager and seller, each level with its total.

Every figure is the Performance report's (sales/management/metrics.py, on the definitions of sales/figures.py),
credited to a seller; a team, a manager or a branch adds up the sellers in it. Whose figures a user reads is
sales/records.py's decision: the owner the whole shop (with rows for deals with no seller and people in no team,
so every level adds up to the same whole-shop total), a team's manager their team, a seller themself.
"""
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Team, User
from sales import records
from sales.management import metrics
from sales.management.periods import Period

LEVELS = ("branch", "team", "manager", "seller")


@dataclass
class Group:
    label: Optional[str]            # None: the row of what belongs to no branch / team / manager / seller
    numbers: metrics.Performance


def added_up(rows) -> metrics.Performance:
    """Several sellers' figures as one (counts summed, amounts per currency), as the Performance report adds up."""
    return metrics.added_up(rows)


def _people(viewer):
    return db.session.scalars(select(User).options(selectinload(User.team).selectinload(Team.branch))
                              .where(records.visible(records.Figures, viewer))
                              .order_by(User.name, User.id)).all()


def by_structure(period: Period, viewer) -> tuple[dict[str, list[Group]], metrics.Performance]:
    """{level: [Group]} and the total every level adds up to, for the figures `viewer` may read."""
    people = _people(viewer)
    numbers = metrics.performance(period, None if viewer.is_owner else [person.id for person in people])
    whole_shop = viewer.is_owner
    credited = {person.id: numbers.get(person.id) or metrics.Performance(person.id) for person in people}
    if whole_shop:
        # Deals with no seller, and anyone else credited (support staff who logged contacts…), are the shop's too.
        credited.update({key: value for key, value in numbers.items() if key not in credited})
    by_id = {person.id: person for person in people}

    def grouped(key_of):
        groups: dict[Optional[str], list] = {}
        for person_id, entry in credited.items():
            groups.setdefault(key_of(by_id.get(person_id)), []).append(entry)
        named = sorted((key for key in groups if key is not None), key=str.casefold)
        return [Group(key, added_up(groups[key])) for key in named + ([None] if None in groups else [])]

    def team_of(person):
        return person.team if person is not None else None

    def branch_of(person):
        team = team_of(person)
        return team.branch.name if team is not None and team.branch is not None else None

    managers: dict[int, list[str]] = {}
    for person in db.session.scalars(select(User).where(User.manages_team, User.team_id.is_not(None))
                                     .order_by(User.name, User.id)):
        managers.setdefault(person.team_id, []).append(person.name)
    levels = {
        "branch": grouped(branch_of),
        "team": grouped(lambda person: team_of(person).name if team_of(person) is not None else None),
        "seller": [Group(by_id[key].name if key in by_id else None, entry)
                   for key, entry in sorted(credited.items(), key=lambda item: (
                       item[0] is None or item[0] not in by_id,
                       by_id[item[0]].name.casefold() if item[0] in by_id else ""))
                   if entry.is_active or key in by_id and by_id[key].active and by_id[key].role == "seller"],
    }
    # A team with two managers counts under each of them: the per-manager table is each manager's whole team.
    per_manager: dict[Optional[str], list] = {}
    for person_id, entry in credited.items():
        person = by_id.get(person_id)
        names = managers.get(person.team_id) if person is not None and person.team_id else None
        for name in names or [None]:
            per_manager.setdefault(name, []).append(entry)
    named = sorted((key for key in per_manager if key is not None), key=str.casefold)
    levels["manager"] = [Group(key, added_up(per_manager[key]))
                         for key in named + ([None] if None in per_manager else [])]
    return levels, added_up(credited.values())
