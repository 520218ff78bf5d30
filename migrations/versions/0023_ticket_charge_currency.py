"""ticket charges keep the currency they were charged in (the shop's at the time), like quotes and orders

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 00:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_charges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default='EUR'))
    # The charges made so far were made in the shop's current currency.
    op.execute("UPDATE ticket_charges SET currency = (SELECT value FROM shop_settings WHERE key = 'currency') "
               "WHERE EXISTS (SELECT 1 FROM shop_settings WHERE key = 'currency' AND value IS NOT NULL)")
    with op.batch_alter_table('ticket_charges', schema=None) as batch_op:
        batch_op.alter_column('currency', server_default=None)


def downgrade():
    with op.batch_alter_table('ticket_charges', schema=None) as batch_op:
        batch_op.drop_column('currency')
