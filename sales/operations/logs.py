"""With LOG_FORMAT=json the app logs one JSON object a line (for journald, Loki, or any log collector): every
request as one line with its route, status, duration and the signed-in user's id, and the app's own messages.

Never in a line: the path asked for (ids, search words, customers' secret links), the client's address, names or
emails. The route is Flask's URL rule; the user is a number that means something only inside the shop's database.
"""
import json
import logging
from datetime import datetime, timezone

from flask import g, request

REQUEST_LOGGER = "mostrador.requests"


class JsonLines(logging.Formatter):
    def format(self, record):
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name}
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def use_json_lines(app):
    """Every handler of the app's logger and of the request log writes JSON lines (stderr, as gunicorn's)."""
    for logger in (app.logger, logging.getLogger(REQUEST_LOGGER)):
        if not any(isinstance(h.formatter, JsonLines) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(JsonLines())
            for existing in list(logger.handlers):
                logger.removeHandler(existing)
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def log_request(response, route, seconds):
    # The user as the request already loaded it (Flask-Login keeps it in g._login_user): logging never loads one.
    user = g.get("_login_user")
    user_id = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    logging.getLogger(REQUEST_LOGGER).info("request", extra={"fields": {
        "event": "request", "method": request.method, "route": route, "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1) if seconds is not None else None,
        "user_id": user_id}})
