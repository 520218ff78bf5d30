"""custom fields: the owner's own fields on customers and leads, with their values on the records

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 00:50:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'custom_fields',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entity', sa.String(length=10), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('choices', sa.Text(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("entity IN ('customer', 'lead')", name=op.f('ck_custom_fields_entity')),
        sa.CheckConstraint("kind IN ('text', 'number', 'date', 'choice', 'yes_no')", name=op.f('ck_custom_fields_kind')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_custom_fields_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_custom_fields_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_fields')),
    )
    with op.batch_alter_table('custom_fields', schema=None) as batch_op:
        batch_op.create_index('uq_custom_fields_entity_key', ['entity', 'key'], unique=True)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custom', sa.JSON(), nullable=True))
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custom', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('custom')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('custom')
    with op.batch_alter_table('custom_fields', schema=None) as batch_op:
        batch_op.drop_index('uq_custom_fields_entity_key')
    op.drop_table('custom_fields')
