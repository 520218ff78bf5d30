"""outbox: emails are claimed by one sending run, and marked when handed to the mail server, so a killed or
parallel run never sends one twice; each keeps the Message-ID it was queued with

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 23:55:00

"""
import re

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('handed_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(op.f('ck_outgoing_emails_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('queued', 'sending', 'sent', 'failed')")
    _fill_message_ids()


def _fill_message_ids():
    # Emails queued before this version carry their Message-ID only inside the raw message.
    connection = op.get_bind()
    emails = sa.table('outgoing_emails', sa.column('id', sa.Integer), sa.column('raw', sa.LargeBinary),
                      sa.column('message_id', sa.String))
    for email_id, raw in connection.execute(sa.select(emails.c.id, emails.c.raw)).all():
        found = re.search(rb'^Message-ID:\s*(<[^>\r\n]+>)', raw or b'', re.MULTILINE | re.IGNORECASE)
        if found:
            connection.execute(emails.update().where(emails.c.id == email_id)
                               .values(message_id=found.group(1).decode('ascii', 'replace')))


def downgrade():
    # What a run had handed to the server went out; what it had only claimed waits for the next run.
    op.execute("UPDATE outgoing_emails SET status = CASE WHEN handed_at IS NULL THEN 'queued' ELSE 'sent' END "
               "WHERE status = 'sending'")
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outgoing_emails_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('queued', 'sent', 'failed')")
        batch_op.drop_column('handed_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('message_id')
