"""Entry point for a WSGI server (gunicorn wsgi:app): upgrades the schema, then serves."""
import gc

from app import create_app, upgrade_schema

app = create_app()
upgrade_schema(app)
# What start-up built (modules, the app, compiled templates) lives as long as the process: freeze it out of the
# garbage collector, so full collections stay short (they caused the slowest requests on the bench) and, with
# gunicorn --preload, forked workers keep sharing those pages instead of copying them when the collector
# touches them.
gc.collect()
gc.freeze()
