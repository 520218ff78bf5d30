"""offline capture: the key each form was sent with, so a retry from the tablet is stored once

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 00:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'submission_keys',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_submission_keys_user_id_users',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'key', name='pk_submission_keys'),
    )


def downgrade():
    op.drop_table('submission_keys')
