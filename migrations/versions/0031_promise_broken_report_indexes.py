"""promises can be broken; indexes for the API's promise pages and for the report figures

A promise is recorded as broken, not only as kept, and is listed by (done_at, id). The stage totals' covering
indexes hold the qualification (disqualified leads are left out of the totals, which made every total read all
the rows). Orders are indexed by lead (a won deal is credited to its first order's seller: the reports looked
that up with a scan of the orders per deal).

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
        batch_op.create_index('ix_promises_done', ['done_at', 'id'], unique=False)
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_stage_value')
        batch_op.drop_index('ix_leads_seller_stage_value')
        batch_op.create_index('ix_leads_stage_value', ['stage_id', 'qualification', 'estimated_value'], unique=False)
        batch_op.create_index('ix_leads_seller_stage_value', ['seller_id', 'stage_id', 'qualification',
                                                              'estimated_value'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_lead', ['lead_id', 'ordered_on', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_lead')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_seller_stage_value')
        batch_op.drop_index('ix_leads_stage_value')
        batch_op.create_index('ix_leads_stage_value', ['stage_id', 'estimated_value'], unique=False)
        batch_op.create_index('ix_leads_seller_stage_value', ['seller_id', 'stage_id', 'estimated_value'],
                              unique=False)
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.drop_index('ix_promises_done')
        batch_op.drop_column('broken')
