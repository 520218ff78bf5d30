from flask import Blueprint

bp = Blueprint("users", __name__, url_prefix="/users")

from sales.users import views  # noqa: E402,F401
