"""history import: orders made from imported won deals, and import jobs the cron advances

(The orders' lead index it reads by is made by 0031.)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('advanced_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('advanced_at')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('imported')
