"""Configuration read from the environment, with defaults that are safe for a shop PC."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _normalise_database_url(url):
    # Hosting panels hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def load_secret_key(instance_path):
    """SECRET_KEY from the environment, else one generated on first run and kept in the instance folder.

    Several app servers sharing one database must share the key: set SECRET_KEY for them.
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def from_environment(instance_path):
    database_url = os.environ.get("DATABASE_URL") or "sqlite:///" + str(Path(instance_path) / "mostrador.db")
    return {
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        # A shift on the shop floor; after that the tablet asks for the password again. The limit is absolute
        # (kept in the database: sales/accounts/sessions.py), and an hour unused also ends the session.
        "SESSION_HOURS": int(os.environ.get("SESSION_HOURS", "10")),
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "60")),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("SESSION_HOURS", "10"))),
        "SESSION_REFRESH_EACH_REQUEST": False,   # the cookie's expiry does not slide either
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_DURATION": timedelta(days=0),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session does
        "BABEL_DEFAULT_LOCALE": "en",
        # Times are stored in UTC and shown in the shop's own time zone.
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("SHOP_TIMEZONE", "Europe/Madrid"),
        # Phone numbers typed without a country prefix are of this country (ISO code).
        "SHOP_COUNTRY": os.environ.get("SHOP_COUNTRY", "ES").upper(),
        "LANGUAGES": ("en", "es", "de", "hi"),
        # The language of texts made outside a request (demo data, scheduled jobs).
        "SHOP_LANGUAGE": os.environ.get("SHOP_LANGUAGE", "es"),
        "SHOP_NAME": os.environ.get("SHOP_NAME", "Mostrador"),
        # Light on the wire: pages, styles, scripts and icons compressed (brotli where the browser takes it).
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                               "application/json", "application/manifest+json", "image/svg+xml"],
        "COMPRESS_BR_LEVEL": 5,
        "PAGE_SIZE": 25,
        # Largest request accepted: a photo from a tablet (8 MB) or a document (12 MB, sales/documents) and its form.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # A virus scanner run on every upload, the file on its standard input (e.g. "clamdscan --no-summary -");
        # exit 0 keeps the file, anything else refuses it. Empty: no scan.
        "UPLOAD_SCAN_COMMAND": os.environ.get("UPLOAD_SCAN_COMMAND") or None,
        "UPLOAD_SCAN_TIMEOUT": int(os.environ.get("UPLOAD_SCAN_TIMEOUT", "60")),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_LOCKOUT_MINUTES": 15,
        # How many reverse proxies in front of the app add X-Forwarded-For (0: none, trust no such header).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0") or 0),
        "SET_PASSWORD_LINK_HOURS": 72,
        **operations_settings(),
        **storage_settings(),
        **mail_settings(),
        **connection_settings(),
    }


def operations_settings():
    """What the people running the servers set: /metrics, the log format, the readiness check."""
    return {
        # The bearer token Prometheus sends for /metrics; without it /metrics does not exist (404).
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        # "json": one JSON object a line (each request: route, status, duration, user id); else Flask's own.
        "LOG_FORMAT": (os.environ.get("LOG_FORMAT") or "text").strip().lower(),
    }


def storage_settings():
    """Where uploaded files are kept (sales/storage.py): unset, the instance folder; `s3://bucket/prefix`, a bucket
    of S3-compatible object storage that several app servers share. Keys come only from the environment (unset,
    boto3's own chain: AWS_* variables, ~/.aws, an instance role)."""
    url = (os.environ.get("STORAGE_URL") or "").strip()
    if url and not (url.startswith("s3://") and url[len("s3://"):].split("/")[0]):
        raise ValueError(f"STORAGE_URL must be s3://bucket/prefix, or unset for the instance folder; not {url!r}")
    return {
        "STORAGE_URL": url or None,
        # The store's address, e.g. https://s3.eu-central-003.backblazeb2.com or http://minio.lan:9000 (MinIO);
        # unset: Amazon S3 itself.
        "STORAGE_ENDPOINT_URL": os.environ.get("STORAGE_ENDPOINT_URL") or None,
        "STORAGE_REGION": os.environ.get("STORAGE_REGION") or "us-east-1",
        "STORAGE_ACCESS_KEY_ID": os.environ.get("STORAGE_ACCESS_KEY_ID") or None,
        "STORAGE_SECRET_ACCESS_KEY": os.environ.get("STORAGE_SECRET_ACCESS_KEY") or None,
    }


def mail_settings():
    """Outgoing and incoming mail. Passwords come only from the environment, never from the database.

    MAIL_BACKEND "smtp" sends for real; "local" records each message in the outbox as sent without touching the
    network (development, tests). Without MAIL_HOST there is nothing to send through, so "local" is the default.
    """
    host = os.environ.get("MAIL_HOST")
    return {
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND") or ("smtp" if host else "local"),
        "MAIL_HOST": host,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_TLS": os.environ.get("MAIL_TLS", "starttls").lower(),    # starttls, ssl or none
        "MAIL_USER": os.environ.get("MAIL_USER"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "shop@localhost"),
        "MAIL_TIMEOUT": int(os.environ.get("MAIL_TIMEOUT", "20")),
        # A sending run that holds an email longer than this has died: another run may send it.
        "MAIL_CLAIM_SECONDS": float(os.environ.get("MAIL_CLAIM_SECONDS", "300")),
        "IMAP_HOST": os.environ.get("IMAP_HOST"),
        "IMAP_PORT": int(os.environ.get("IMAP_PORT", "993")),
        "IMAP_TLS": os.environ.get("IMAP_TLS", "ssl").lower(),         # ssl, starttls or none
        "IMAP_USER": os.environ.get("IMAP_USER"),
        "IMAP_PASSWORD": os.environ.get("IMAP_PASSWORD"),
        "IMAP_FOLDER": os.environ.get("IMAP_FOLDER", "INBOX"),
    }


def connection_settings():
    """Other software reaching the shop: WhatsApp Business (Meta's Cloud API webhook) and the API."""
    return {
        # The token typed into Meta's webhook set-up, and the app secret Meta signs each delivery with.
        "WHATSAPP_VERIFY_TOKEN": os.environ.get("WHATSAPP_VERIFY_TOKEN"),
        "WHATSAPP_APP_SECRET": os.environ.get("WHATSAPP_APP_SECRET"),
        # Numbers typed without a country code (600 123 456) belong to the shop's country.
        "WHATSAPP_COUNTRY_CODE": os.environ.get("WHATSAPP_COUNTRY_CODE", "34").lstrip("+"),
        # Requests a minute per API token (counted in the database, so every app server agrees).
        "API_RATE_PER_MINUTE": int(os.environ.get("API_RATE_PER_MINUTE", "120")),
    }
