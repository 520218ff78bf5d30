"""Entry point for a WSGI server (gunicorn wsgi:app): upgrades the schema, then serves."""
import gc

from app import create_app, upgrade_schema

app = create_app()
upgrade_schema(app)


def warm(app):
    """Build once, before gunicorn forks, what every worker would otherwise build for itself on its first
    requests and keep as its own memory: every template compiled, and each language's catalog and Babel's data
    for it (numbers, dates, currencies) loaded."""
    from datetime import date
    from decimal import Decimal

    from flask_babel import force_locale, format_currency, format_date, format_decimal, get_translations

    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".txt"))):
        app.jinja_env.get_template(name)
    with app.test_request_context():
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                get_translations()
                format_decimal(Decimal("1234.5")), format_currency(Decimal("1234.5"), "EUR")
                format_date(date(2026, 1, 31), "full")      # a sample: only the data it loads matters


warm(app)
# What start-up built (modules, the app, compiled templates, catalogs) lives as long as the process: freeze it out of the
# garbage collector, so full collections stay short (they caused the slowest requests on the bench) and, with
# gunicorn --preload, forked workers keep sharing those pages instead of copying them when the collector
# touches them.
gc.collect()
gc.freeze()
