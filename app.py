"""Mostrador's application factory."""
import os
import sqlite3

from flask import Flask, has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config
from extensions import babel, compress, csrf, db, login_manager, migrate


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    from sales.requests import ShopRequest

    app.request_class = ShopRequest
    os.makedirs(app.instance_path, exist_ok=True)
    configure(app, test_config)
    trust_proxies(app)
    init_extensions(app)
    register_url_converters(app)
    instrument(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def configure(app, test_config):
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.load_secret_key(app.instance_path)


def trust_proxies(app):
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address (and scheme, host) from the headers they
    add; without the setting those headers are ignored, as anyone could send them."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


@event.listens_for(Engine, "connect")
def _connection_settings(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("psycopg"):
        # psycopg prepares a statement it has run five times, and PostgreSQL then may plan it once for any
        # parameters: a search's customers, planned for no LIMIT value in particular, walked the whole index
        # (0.3 → 41 ms for "91 149", in some databases and not others, by the luck of ANALYZE's sample). Plans made
        # for the values at hand cost a fraction of a millisecond each and are never that wrong.
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()
        return
    # WAL lets readers and one writer work at once; the busy timeout waits out a writer instead of failing.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reads through a memory map instead of a read() call per page: the dashboard's counts over 100 000
        # leads and 1 000 000 contacts 200 → 132 ms (bench/README.md). Pages mapped are the OS's file cache,
        # shared by the workers, not each worker's own memory.
        cursor.execute("PRAGMA mmap_size=1073741824")
        cursor.close()


def init_extensions(app):
    import models  # noqa: F401  (the models must be known before migrations compare them)

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    from sales import assets

    assets.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    from sales.accounts.rules import load_user, unauthorized

    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def select_locale():
    from sales.languages import enabled_languages, reader_language, shop_language

    if not has_request_context():
        # CLI commands (demo data, cron jobs) speak the shop's language.
        return shop_language()
    offered = enabled_languages()
    chosen = reader_language()          # a public page speaking its customer's language, or the visitor's pick
    if chosen in offered:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language:
        # A language the shop no longer offers gives way to the shop's own, not to the browser's.
        return current_user.language if current_user.language in offered else shop_language()
    return request.accept_languages.best_match(offered) or offered[0]


def register_url_converters(app):
    # Before any route is added: every <int:…> in the app is a record id (404 for 0, -1 or 2^64).
    from sales.ids import RecordIdConverter

    app.url_map.converters["int"] = RecordIdConverter


def instrument(app):
    from sales.operations import instrument as measure_requests

    measure_requests(app)


def register_blueprints(app):
    from sales import register_blueprints as register_sales

    register_sales(app)


def register_error_handlers(app):
    from sales.errors import register

    register(app)


def register_template_helpers(app):
    from sales.templating import register

    register(app)


def register_cli(app):
    from sales.cli import register

    register(app)


def upgrade_schema(app):
    """Bring the database schema up to date; run on every start, so nobody ever runs SQL by hand."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations"))
        # gunicorn --preload forks workers after this: none of them may inherit an open connection.
        db.engine.dispose()
