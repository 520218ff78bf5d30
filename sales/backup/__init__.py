"""The shop's own data: backups that verify themselves, restores that check what they load, the whole-shop
export, and the owner's page for them (Settings → Shop data)."""
from flask import Blueprint

# cli_group=None: the cron line reads `flask backup`, not `flask backup backup`.
bp = Blueprint("backup", __name__, url_prefix="/settings/data", cli_group=None)

from sales.backup import cli, views  # noqa: E402,F401
