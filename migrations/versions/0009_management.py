"""management: goals, commission rules, segments; stage changes record when the stage left was entered;
covering indexes for the reports

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 18:11:49

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Moves recorded so far: the stay in the stage a move leaves began with the lead's previous move.
BACKFILL_STAYS = ("UPDATE stage_changes SET from_stage_entered_at = (SELECT max(earlier.changed_at) "
                  "FROM stage_changes AS earlier WHERE earlier.lead_id = stage_changes.lead_id "
                  "AND earlier.changed_at <= stage_changes.changed_at AND earlier.id <> stage_changes.id) "
                  "WHERE from_stage_id IS NOT NULL")


def upgrade():
    op.create_table('commission_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=80), nullable=True),
    sa.Column('percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('percent >= 0 AND percent <= 100', name=op.f('ck_commission_rules_percent')),
    sa.CheckConstraint('threshold IS NULL OR threshold >= 0', name=op.f('ck_commission_rules_threshold')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_commission_rules_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seller_id'], ['users.id'], name=op.f('fk_commission_rules_seller_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_commission_rules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_rules'))
    )
    with op.batch_alter_table('commission_rules', schema=None) as batch_op:
        batch_op.create_index('uq_commission_rules_seller_category', ['seller_id', 'category'], unique=True)

    op.create_table('goals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('metric', sa.String(length=12), nullable=False),
    sa.Column('target', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("metric IN ('revenue', 'deals_won', 'new_leads', 'contacts')", name=op.f('ck_goals_metric')),
    sa.CheckConstraint('target >= 0', name=op.f('ck_goals_target')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_goals_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seller_id'], ['users.id'], name=op.f('fk_goals_seller_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_goals_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goals'))
    )
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.create_index('ix_goals_period', ['period'], unique=False)
        batch_op.create_index('uq_goals_seller_period_metric', ['seller_id', 'period', 'metric'], unique=True)

    op.create_table('segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_segments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_segments_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
    sa.UniqueConstraint('name', name=op.f('uq_segments_name'))
    )
    with op.batch_alter_table('contact_logs', schema=None) as batch_op:
        batch_op.create_index('ix_contact_logs_user_at', ['user_id', 'happened_at', 'channel'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_closed', ['closed_at'], unique=False)
        batch_op.create_index('ix_leads_created', ['created_at'], unique=False)
        batch_op.create_index('ix_leads_seller_closed', ['seller_id', 'closed_at'], unique=False)
        batch_op.create_index('ix_leads_seller_created', ['seller_id', 'created_at'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_seller_date', ['seller_id', 'ordered_on'], unique=False)
        batch_op.create_index('ix_orders_customer_history', ['customer_id', 'ordered_on', 'total'], unique=False)

    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_stage_entered_at', sa.DateTime(), nullable=True))
    op.execute(BACKFILL_STAYS)
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_at_flow',
                              ['changed_at', 'from_stage_id', 'to_stage_id', 'from_stage_entered_at', 'lead_id'],
                              unique=False)



def downgrade():
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_changes_at_flow')
        batch_op.drop_column('from_stage_entered_at')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_customer_history')
        batch_op.drop_index('ix_orders_seller_date')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_seller_created')
        batch_op.drop_index('ix_leads_seller_closed')
        batch_op.drop_index('ix_leads_created')
        batch_op.drop_index('ix_leads_closed')

    with op.batch_alter_table('contact_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_logs_user_at')

    op.drop_table('segments')
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_index('uq_goals_seller_period_metric')
        batch_op.drop_index('ix_goals_period')

    op.drop_table('goals')
    with op.batch_alter_table('commission_rules', schema=None) as batch_op:
        batch_op.drop_index('uq_commission_rules_seller_category')

    op.drop_table('commission_rules')
