"""Entry point for a WSGI server (gunicorn wsgi:app): upgrades the schema, then serves."""
from app import create_app, upgrade_schema

app = create_app()
upgrade_schema(app)
