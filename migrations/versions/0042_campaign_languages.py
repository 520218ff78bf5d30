"""campaigns: one message in several languages (the main one's language, the other versions, the fallback)

Revision ID: 0042
Revises: 0038
Create Date: 2026-12-02 19:50:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('versions', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('fallback_language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('campaigns') as batch_op:
        batch_op.drop_column('fallback_language')
        batch_op.drop_column('versions')
        batch_op.drop_column('language')
