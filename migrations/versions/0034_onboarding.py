"""onboarding: the owner's checklist for a new seller's first days, and who has ticked what

Revision ID: 0034
Revises: 0030
Create Date: 2026-12-02 06:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'onboarding_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=300), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_onboarding_items_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_onboarding_items_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_items')),
    )
    op.create_table(
        'onboarding_checks',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_onboarding_checks_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['item_id'], ['onboarding_items.id'],
                                name=op.f('fk_onboarding_checks_item_id_onboarding_items'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'item_id', name=op.f('pk_onboarding_checks')),
    )
    with op.batch_alter_table('onboarding_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_checks_item_id'), ['item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('onboarding_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_checks_item_id'))
    op.drop_table('onboarding_checks')
    op.drop_table('onboarding_items')
