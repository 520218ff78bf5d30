"""The shop's own data: backups that verify themselves, restores that check what they load, the whole-shop
export, and the owner's page for them (Settings → Shop data)."""
from flask import Blueprint

# cli_group=None: the cron line reads `flask backup`, not `flask backup backup`.
bp = Blueprint("backup", __name__, url_prefix="/settings/data", cli_group=None)


@bp.app_context_processor
def _version():
    # Every page's footer names the version, so an owner can tell what is installed and look it up in CHANGELOG.md.
    from sales.version import VERSION

    return {"mostrador_version": VERSION}


from sales.backup import cli, views  # noqa: E402,F401
