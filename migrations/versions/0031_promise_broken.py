"""promises: a promise can be recorded as broken, not only as kept

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-02 14:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broken', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.drop_column('broken')
