"""funnel: an index that hands the moves out of each stage over already grouped (from, to), so a year of moves
is counted without sorting them

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 19:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_from_to_at',
                              ['from_stage_id', 'to_stage_id', 'changed_at', 'from_stage_entered_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_changes_from_to_at')
