"""job runs: every cron run records its start, end, counts and failure; a lease row for jobs done by one run at a
time across machines (read-mail)

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-03 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=40), nullable=False),
        sa.Column('host', sa.String(length=100), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=True),
        sa.Column('summary', sa.String(length=300), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name=op.f('ck_job_runs_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_job_started', ['job', 'started_at'], unique=False)
        batch_op.create_index('ix_job_runs_job_status_finished', ['job', 'status', 'finished_at'], unique=False)
    op.create_table(
        'job_leases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=40), nullable=False),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_leases')),
    )
    with op.batch_alter_table('job_leases', schema=None) as batch_op:
        batch_op.create_index('uq_job_leases_job', ['job'], unique=True)


def downgrade():
    with op.batch_alter_table('job_leases', schema=None) as batch_op:
        batch_op.drop_index('uq_job_leases_job')
    op.drop_table('job_leases')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_job_status_finished')
        batch_op.drop_index('ix_job_runs_job_started')
    op.drop_table('job_runs')
