"""pipeline stages: a name per language (`names`), the existing name kept as the shop's language's

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-03 10:00:00

"""
import os

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context


# revision identifiers, used by Alembic.
revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None

LANGUAGES = ('en', 'es', 'de', 'hi')


def _shop_language(connection):
    """As sales.languages.shop_language() decides it: the shop's setting, else the SHOP_LANGUAGE configured."""
    setting = connection.execute(sa.text("SELECT value FROM shop_settings WHERE key = 'shop_language'")).scalar()
    config = current_app.config if has_app_context() else {}
    languages = tuple(config.get('LANGUAGES') or LANGUAGES)
    for code in (setting, config.get('SHOP_LANGUAGE') or os.environ.get('SHOP_LANGUAGE', 'es')):
        if code in languages:
            return code
    return languages[0]


def upgrade():
    with op.batch_alter_table('pipeline_stages') as batch_op:
        batch_op.add_column(sa.Column('names', sa.JSON(), nullable=True))
    # Every existing name is the shop's language's name: nothing changes for anyone until the owner adds others.
    connection = op.get_bind()
    language = _shop_language(connection)
    stages = sa.table('pipeline_stages', sa.column('id', sa.Integer), sa.column('name', sa.String),
                      sa.column('names', sa.JSON))
    for stage_id, name in connection.execute(sa.select(stages.c.id, stages.c.name)).all():
        if name:
            connection.execute(stages.update().where(stages.c.id == stage_id).values(names={language: name}))


def downgrade():
    with op.batch_alter_table('pipeline_stages') as batch_op:
        batch_op.drop_column('names')
