"""bulk actions: a bulk change of many records with what each was before, for ten minutes of undo

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-02 04:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'bulk_actions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('entity', sa.String(length=40), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('records', sa.JSON(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bulk_actions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_actions')),
    )
    with op.batch_alter_table('bulk_actions', schema=None) as batch_op:
        batch_op.create_index('ix_bulk_actions_user_at', ['user_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('bulk_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_bulk_actions_user_at')
    op.drop_table('bulk_actions')
