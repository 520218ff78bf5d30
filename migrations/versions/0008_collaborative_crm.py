"""Collaborative CRM: the outbox, emails read from the mailbox, mailing campaigns, consent and the portal link

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 18:11:51.047610

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('follow_days', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("channel IN ('email', 'letter')", name=op.f('ck_campaigns_channel')),
    sa.CheckConstraint("status IN ('draft', 'sending', 'done')", name=op.f('ck_campaigns_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_campaigns_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_created', ['created_at'], unique=False)

    op.create_table('outgoing_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('about', sa.String(length=20), nullable=False),
    sa.Column('about_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f('ck_outgoing_emails_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_outgoing_emails_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_outgoing_emails_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_outgoing_emails_customer_id_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_emails'))
    )
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_emails_about', ['about', 'about_id'], unique=False)
        batch_op.create_index('ix_outgoing_emails_campaign', ['campaign_id', 'status'], unique=False)
        batch_op.create_index('ix_outgoing_emails_customer_at', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_outgoing_emails_status_id', ['status', 'id'], unique=False)

    op.create_table('campaign_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('email_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_recipients_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_campaign_recipients_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['email_id'], ['outgoing_emails.id'], name=op.f('fk_campaign_recipients_email_id_outgoing_emails'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_recipients'))
    )
    with op.batch_alter_table('campaign_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_recipients_pending', ['campaign_id', 'done', 'id'], unique=False)
        batch_op.create_index('uq_campaign_recipients_customer', ['campaign_id', 'customer_id'], unique=True)

    op.create_table('incoming_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=False),
    sa.Column('from_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_incoming_emails_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_incoming_emails_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_incoming_emails_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_emails'))
    )
    with op.batch_alter_table('incoming_emails', schema=None) as batch_op:
        batch_op.create_index('ix_incoming_emails_customer_at', ['customer_id', 'received_at'], unique=False)
        batch_op.create_index('uq_incoming_emails_message_id', ['message_id'], unique=True)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        # Existing customers have not opted in: nobody is mailed without saying yes.
        batch_op.add_column(sa.Column('email_opt_in', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('unsubscribed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('portal_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_customers_portal_token'), ['portal_token'])
    _restore_email_index_after_sqlite_batch()


def _restore_email_index_after_sqlite_batch():
    # On SQLite, batch mode rebuilds the table and cannot carry over an index on an expression (lower(email)):
    # build it again, or email lookups scan the whole table. PostgreSQL alters in place and keeps it.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('CREATE INDEX IF NOT EXISTS ix_customers_email_lower ON customers (lower(email))')


def downgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_customers_portal_token'), type_='unique')
        batch_op.drop_column('portal_token')
        batch_op.drop_column('unsubscribed_at')
        batch_op.drop_column('email_opt_in')
    _restore_email_index_after_sqlite_batch()

    with op.batch_alter_table('incoming_emails', schema=None) as batch_op:
        batch_op.drop_index('uq_incoming_emails_message_id')
        batch_op.drop_index('ix_incoming_emails_customer_at')

    op.drop_table('incoming_emails')
    with op.batch_alter_table('campaign_recipients', schema=None) as batch_op:
        batch_op.drop_index('uq_campaign_recipients_customer')
        batch_op.drop_index('ix_campaign_recipients_pending')

    op.drop_table('campaign_recipients')
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_emails_status_id')
        batch_op.drop_index('ix_outgoing_emails_customer_at')
        batch_op.drop_index('ix_outgoing_emails_campaign')
        batch_op.drop_index('ix_outgoing_emails_about')

    op.drop_table('outgoing_emails')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_created')

    op.drop_table('campaigns')
