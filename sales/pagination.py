"""Offset pagination for list pages: one COUNT and one page of rows, whatever the table's size."""
from dataclasses import dataclass
from math import ceil

from sqlalchemy import func, select

from extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def first_index(self):
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self):
        return min(self.page * self.per_page, self.total)


def page_number(value):
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def paginate(statement, page, per_page):
    """`statement` is a select() of ORM entities; its ORDER BY must be total (end with the id)."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page = min(page, max(1, ceil(total / per_page))) if total else 1
    items = db.session.scalars(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)
