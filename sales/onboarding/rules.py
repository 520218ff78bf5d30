"""The first days' checklist and who has gone through it.

Someone has gone through it when they have ticked every item of the checklist as it stands now (an item the owner
adds later is new to everyone). Whose progress a user reads is sales/records.py's decision — the same people whose
numbers they read: the owner everyone, a team's manager their team, a seller themself.
"""
from typing import Optional

from sqlalchemy import func, literal, null, select

from extensions import db
from models import OnboardingCheck, OnboardingItem, Product, User
from sales import records
from sales.clock import utcnow

MAX_ITEMS = 40
NOTES_SHOWN = 50


def items() -> list[OnboardingItem]:
    return db.session.scalars(select(OnboardingItem).order_by(OnboardingItem.position, OnboardingItem.id)).all()


def checklist_text() -> str:
    return "\n".join(item.text for item in items())


def save_checklist(text: str) -> None:
    """The owner's checklist, one item a line: unchanged lines keep their ticks, removed lines go (with their
    ticks), new lines are new items; the order is the order of the lines."""
    lines = []
    for line in (text or "").splitlines():
        line = " ".join(line.split())[:300]
        if line and line not in lines:
            lines.append(line)
    existing = {item.text: item for item in items()}
    for position, line in enumerate(lines[:MAX_ITEMS]):
        item = existing.pop(line, None) or OnboardingItem(text=line)
        item.position = position
        db.session.add(item)
    for item in existing.values():
        db.session.delete(item)


def ticked(user) -> set[int]:
    return set(db.session.scalars(select(OnboardingCheck.item_id).where(OnboardingCheck.user_id == user.id)))


def tick(user, item_id: int, done: bool) -> bool:
    """Tick (or untick) one item for oneself; False when there is no such item."""
    if db.session.get(OnboardingItem, item_id) is None:
        return False
    check = db.session.get(OnboardingCheck, (user.id, item_id))
    if done and check is None:
        db.session.add(OnboardingCheck(user_id=user.id, item_id=item_id, done_at=utcnow()))
    elif not done and check is not None:
        db.session.delete(check)
    return True


def competitor_notes(limit=NOTES_SHOWN) -> list[Product]:
    """The catalog's products with a note on how they stand against the competition."""
    return db.session.scalars(select(Product).where(Product.active, Product.competitor_note.is_not(None),
                                                    Product.competitor_note != "")
                              .order_by(Product.name, Product.id).limit(limit)).all()


class Progress:
    def __init__(self, person, done: int, total: int, last_at):
        self.person, self.done, self.total, self.last_at = person, done, total, last_at

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.done >= self.total


def people(viewer):
    """The active sellers whose progress `viewer` reads, as a statement the page paginates."""
    return (select(User).where(User.active, User.role == "seller", records.visible(records.Figures, viewer))
            .order_by(User.name, User.id))


def counts(ids) -> dict[int, tuple[int, Optional[object]]]:
    """{person id: (items of today's checklist ticked, when the last was)} for a page of people: one GROUP BY."""
    if not ids:
        return {}
    current = select(OnboardingItem.id)
    return {user_id: (count, last) for user_id, count, last in db.session.execute(
        select(OnboardingCheck.user_id, func.count(), func.max(OnboardingCheck.done_at))
        .where(OnboardingCheck.user_id.in_(ids), OnboardingCheck.item_id.in_(current))
        .group_by(OnboardingCheck.user_id))}


def dashboard_parts(user) -> list:
    """What still_to_do() and needs_writing() count, as parts of the dashboard's counts (sales.tally): the items
    of the checklist, and for a seller how many of them they ticked and when the last."""
    if user.role not in ("owner", "seller"):
        return []
    parts = [select(literal("items"), null(), func.count()).select_from(OnboardingItem)]
    if user.role == "seller":
        parts.append(select(literal("ticked"), OnboardingCheck.user_id, func.count(), func.max(OnboardingCheck.done_at))
                     .where(OnboardingCheck.user_id == user.id,
                            OnboardingCheck.item_id.in_(select(OnboardingItem.id)))
                     .group_by(OnboardingCheck.user_id))
    return parts


def _items_count(counted) -> int:
    if counted is None:
        return db.session.scalar(select(func.count()).select_from(OnboardingItem)) or 0
    return next((count for kind, _key, count, _at in counted if kind == "items"), 0)


def still_to_do(user, counted=None) -> Optional[Progress]:
    """A seller's progress while the checklist is not done (what the dashboard points to), else None.
    `counted`: the rows of dashboard_parts(user), when the page read them with its other counts."""
    if user.role != "seller":
        return None
    total = _items_count(counted)
    if not total:
        return None
    if counted is None:
        done, _last = counts([user.id]).get(user.id, (0, None))
    else:
        done, _last = next(((count, at) for kind, _key, count, at in counted if kind == "ticked"), (0, None))
    return Progress(user, done, total, _last) if done < total else None


def needs_writing(user, counted=None) -> bool:
    """The owner of a shop with no checklist yet: the dashboard asks them to write one."""
    return user.role == "owner" and _items_count(counted) == 0
