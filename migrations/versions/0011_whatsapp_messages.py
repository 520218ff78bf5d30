"""connect: WhatsApp messages received through the Cloud API webhook (kept once per message id)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:50:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('whatsapp_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wamid', sa.String(length=200), nullable=False),
    sa.Column('from_number', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contact_log_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_log_id'], ['contact_logs.id'], name=op.f('fk_whatsapp_messages_contact_log_id_contact_logs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_whatsapp_messages_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_whatsapp_messages_lead_id_leads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whatsapp_messages'))
    )
    with op.batch_alter_table('whatsapp_messages', schema=None) as batch_op:
        batch_op.create_index('ix_whatsapp_messages_customer_at', ['customer_id', 'received_at'], unique=False)
        batch_op.create_index('uq_whatsapp_messages_wamid', ['wamid'], unique=True)


def downgrade():
    with op.batch_alter_table('whatsapp_messages', schema=None) as batch_op:
        batch_op.drop_index('uq_whatsapp_messages_wamid')
        batch_op.drop_index('ix_whatsapp_messages_customer_at')
    op.drop_table('whatsapp_messages')
