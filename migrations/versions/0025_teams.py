"""teams: branches (with the rules that route leads to them) and teams; each user in one team, a team's managers;
customers and leads assigned to a branch

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 03:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def _tracked():
    return [
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
    ]


def _tracked_keys(table):
    return [
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f(f'fk_{table}_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f(f'fk_{table}_updated_by_id_users'),
                                ondelete='SET NULL'),
    ]


def upgrade():
    op.create_table(
        'branches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('assignment', sa.String(length=12), nullable=False),
        sa.Column('default_seller_id', sa.Integer(), nullable=True),
        sa.Column('last_seller_id', sa.Integer(), nullable=True),
        *_tracked(),
        sa.CheckConstraint("assignment IN ('default', 'round_robin')", name=op.f('ck_branches_assignment')),
        sa.ForeignKeyConstraint(['default_seller_id'], ['users.id'], name=op.f('fk_branches_default_seller_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['last_seller_id'], ['users.id'], name=op.f('fk_branches_last_seller_id_users'),
                                ondelete='SET NULL'),
        *_tracked_keys('branches'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_branches')),
        sa.UniqueConstraint('name', name=op.f('uq_branches_name')),
    )
    op.create_table(
        'branch_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=12), nullable=False),
        sa.Column('value', sa.String(length=100), nullable=False),
        sa.CheckConstraint("field IN ('city', 'postal_code', 'source')", name=op.f('ck_branch_rules_field')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_branch_rules_branch_id_branches'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_branch_rules')),
    )
    op.create_index(op.f('ix_branch_rules_branch_id'), 'branch_rules', ['branch_id'], unique=False)
    op.create_table(
        'teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_teams_branch_id_branches'),
                                ondelete='SET NULL'),
        *_tracked_keys('teams'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
        sa.UniqueConstraint('name', name=op.f('uq_teams_name')),
    )
    op.create_index(op.f('ix_teams_branch_id'), 'teams', ['branch_id'], unique=False)
    # SQLite's batch mode rebuilds these tables and cannot carry an expression index over: drop it, make it again
    # (env.py turns foreign keys off first, so the rebuild fires no ON DELETE rule).
    op.drop_index('uq_users_email_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('manages_team', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_users_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_team_id_teams'), 'teams', ['team_id'], ['id'],
                                    ondelete='SET NULL')
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
    op.drop_index('ix_customers_email_lower', table_name='customers')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('branch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_branch_id'), ['branch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_customers_branch_id_branches'), 'branches', ['branch_id'], ['id'],
                                    ondelete='SET NULL')
    op.create_index('ix_customers_email_lower', 'customers', [sa.text('lower(email)')], unique=False)
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('branch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_branch_id'), ['branch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_leads_branch_id_branches'), 'branches', ['branch_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_leads_branch_id_branches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_leads_branch_id'))
        batch_op.drop_column('branch_id')
    op.drop_index('ix_customers_email_lower', table_name='customers')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customers_branch_id_branches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_customers_branch_id'))
        batch_op.drop_column('branch_id')
    op.create_index('ix_customers_email_lower', 'customers', [sa.text('lower(email)')], unique=False)
    op.drop_index('uq_users_email_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_team_id_teams'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_team_id'))
        batch_op.drop_column('manages_team')
        batch_op.drop_column('team_id')
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
    op.drop_index(op.f('ix_teams_branch_id'), table_name='teams')
    op.drop_table('teams')
    op.drop_index(op.f('ix_branch_rules_branch_id'), table_name='branch_rules')
    op.drop_table('branch_rules')
    op.drop_table('branches')
