"""a covering index for one seller's board totals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 18:20:00

"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_seller_stage_value', ['seller_id', 'stage_id', 'estimated_value'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_seller_stage_value')
