"""customers: the case-insensitive email index again on SQLite databases migrated through 0008 before it was
fixed (its table rebuild had dropped the index, so email lookups scanned the table)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 00:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('CREATE INDEX IF NOT EXISTS ix_customers_email_lower ON customers (lower(email))')


def downgrade():
    # The index belongs to 0001's schema: it stays.
    pass
