"""documents: product datasheets, manuals, care instructions…; files and pages on customers, leads and quotes

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

KINDS = ("datasheet", "manual", "installation", "care", "safety", "signed_order", "plan", "supplier_offer", "photo",
         "other")


def upgrade():
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('stored_name', sa.String(length=80), nullable=True),
    sa.Column('original_name', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('every_months', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN (%s)" % ", ".join(f"'{k}'" for k in KINDS), name=op.f('ck_documents_kind')),
    sa.CheckConstraint("(CASE WHEN product_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN customer_id IS NULL THEN 0 "
                       "ELSE 1 END) + (CASE WHEN lead_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN quote_id IS NULL "
                       "THEN 0 ELSE 1 END) = 1", name=op.f('ck_documents_one_holder')),
    sa.CheckConstraint("stored_name IS NOT NULL OR body IS NOT NULL", name=op.f('ck_documents_file_or_page')),
    sa.CheckConstraint("every_months IS NULL OR every_months > 0", name=op.f('ck_documents_every_months')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_documents_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_documents_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_documents_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_documents_quote_id_quotes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_documents_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_documents_stored_name'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_product', ['product_id', 'kind'], unique=False)
        batch_op.create_index('ix_documents_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_documents_lead', ['lead_id'], unique=False)
        batch_op.create_index('ix_documents_quote', ['quote_id'], unique=False)


def downgrade():
    op.drop_table('documents')
