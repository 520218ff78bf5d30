"""history imports: external IDs on customers and deals, products on deals, stage moves marked as imported,
sellers without an email yet, and the content hash of each import file

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 00:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=80), nullable=True))
        batch_op.create_index('ix_leads_external_id', ['external_id'], unique=True)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=80), nullable=True))
        batch_op.create_index('ix_customers_external_id', ['external_id'], unique=True)
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported', sa.Boolean(), nullable=False, server_default=sa.false()))
    # SQLite's batch mode rebuilds the table and cannot carry an expression index over: drop it and make it again.
    op.drop_index('uq_users_email_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('imported_rows', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_import_jobs_kind_hash', ['kind', 'content_hash'], unique=False)
    op.create_table(
        'lead_products',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_products_lead_id_leads'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_lead_products_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_products')),
    )
    with op.batch_alter_table('lead_products', schema=None) as batch_op:
        batch_op.create_index('ix_lead_products_lead', ['lead_id'], unique=False)
        batch_op.create_index('ix_lead_products_product', ['product_id', 'lead_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lead_products', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_products_product')
        batch_op.drop_index('ix_lead_products_lead')
    op.drop_table('lead_products')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_import_jobs_kind_hash')
        batch_op.drop_column('imported_rows')
        batch_op.drop_column('content_hash')
    # Accounts created without an email get a placeholder they can never sign in with.
    op.execute("UPDATE users SET email = 'no-email-' || id || '@invalid' WHERE email IS NULL")
    op.drop_index('uq_users_email_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_column('imported')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_external_id')
        batch_op.drop_column('external_id')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_external_id')
        batch_op.drop_column('external_id')
