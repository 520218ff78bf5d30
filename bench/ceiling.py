"""The framework's ceiling for bench/served.py: the least a signed-in Flask page can do.

It reads Mostrador's session cookie (same SECRET_KEY, Flask's own signed-cookie session), loads the user it names
from the same database with one query, and answers a few hundred bytes of HTML. Served under the same gunicorn
command as the app, it is the speed no page of Mostrador can pass on this machine.
"""
import os

from flask import Flask, abort, session
from markupsafe import escape
from sqlalchemy import create_engine, text

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
engine = create_engine(os.environ["DATABASE_URL"])


@app.get("/")
def page():
    user_id = str(session.get("_user_id", "")).split(":")[0]
    if not user_id.isdigit():
        abort(401)
    with engine.connect() as connection:
        user = connection.execute(text("SELECT id, name, email, role FROM users WHERE id = :id"),
                                  {"id": int(user_id)}).one_or_none()
    if user is None:
        abort(401)
    return f"<!doctype html><title>Ceiling</title><p>Hello {escape(user.name)} ({escape(user.role)})</p>"
