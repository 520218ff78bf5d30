"""phones: customers' numbers in E.164 (the shop's country for numbers without prefix), and the digits phone
search looks in (E.164 and national), so "+34 91 149 19 78" and "91 149 19 78" are one number

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 00:30:00

"""
import re

import sqlalchemy as sa
from alembic import op

from sales import phones

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

customers = sa.table('customers', sa.column('id', sa.Integer), sa.column('phone', sa.String),
                     sa.column('mobile', sa.String), sa.column('phone_digits', sa.String))


def _rewrite(values_for):
    connection = op.get_bind()
    rows = connection.execute(sa.select(customers.c.id, customers.c.phone, customers.c.mobile).where(
        sa.or_(customers.c.phone.is_not(None), customers.c.mobile.is_not(None)))).all()
    for row in rows:
        connection.execute(customers.update().where(customers.c.id == row.id).values(**values_for(row)))


def upgrade():
    def normalised(row):
        phone, mobile = phones.stored_form(row.phone), phones.stored_form(row.mobile)
        return {"phone": phone, "mobile": mobile, "phone_digits": phones.search_digits(phone, mobile)}

    _rewrite(normalised)


def downgrade():
    # The numbers stay in E.164 (the typed spacing is not kept); the search digits go back to plain digits.
    def plain_digits(row):
        digits = [re.sub(r"\D", "", number or "") for number in (row.phone, row.mobile)]
        return {"phone_digits": " ".join(d for d in digits if d) or None}

    _rewrite(plain_digits)
