"""quotes: a sent revision's PDF kept as it was made (one per language), so it is drawn once, not per download

Revision ID: 0037
Revises: 0034
Create Date: 2026-12-02 15:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quote_revision_pdfs',
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['revision_id'], ['quote_revisions.id'],
                                name=op.f('fk_quote_revision_pdfs_revision_id_quote_revisions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('revision_id', 'language', name=op.f('pk_quote_revision_pdfs')),
    )


def downgrade():
    op.drop_table('quote_revision_pdfs')
