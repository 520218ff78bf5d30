"""customers: the language the shop writes to each of them in (None: the shop's own)

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-02 19:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customers') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    # SQLite's batch mode rebuilds the table and cannot carry the expression index over: drop it, make it again.
    op.drop_index('ix_customers_email_lower', table_name='customers')
    with op.batch_alter_table('customers') as batch_op:
        batch_op.drop_column('language')
    op.create_index('ix_customers_email_lower', 'customers', [sa.text('lower(email)')], unique=False)
