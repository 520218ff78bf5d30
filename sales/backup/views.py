"""Settings → Shop data: the owner downloads a backup or the whole-shop export, and sees the scheduled backups."""
import tempfile
from datetime import timedelta

from flask import abort, current_app, send_file
from flask_babel import gettext as _
from flask_login import current_user

from models import utcnow
from sales.backup import bp
from sales.backup.archive import write_backup
from sales.backup.rules import backup_files, schema_revision
from sales.backup.shop_export import write_shop_export
from sales.clock import shop_now
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.policy import require
from sales.version import VERSION

# A scheduled backup older than this is reported as missing: the daily cron line has stopped working.
STALE_AFTER = timedelta(days=2)

@bp.route("/")
@require("shop.settings")
def index():
    backups = backup_files(current_app.instance_path)
    newest = backups[0].modified if backups else None
    return render_page(None, "backup/_data.html", title=_("Shop data"), form=EmptyForm(), backups=backups[:10],
                       stale=newest is None or utcnow() - newest > STALE_AFTER,
                       version=VERSION, revision=schema_revision())

@bp.route("/backup", methods=["POST"])
@require("shop.settings")
def download_backup():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    # A temporary file, not memory: a shop with years of photos makes a big archive. It disappears when closed.
    archive = tempfile.TemporaryFile(prefix="mostrador-backup-")
    write_backup(archive, current_app.instance_path)
    archive.seek(0)
    current_app.logger.info("backup downloaded by user %s", current_user.id)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"mostrador-{shop_now():%Y-%m-%d-%H%M}.zip")


@bp.route("/export", methods=["POST"])
@require("shop.settings")
def download_export():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    archive = tempfile.TemporaryFile(prefix="mostrador-export-")
    write_shop_export(archive, current_app.instance_path)
    archive.seek(0)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"mostrador-export-{shop_now():%Y-%m-%d}.zip")


@bp.route("/backups/<name>")
@require("shop.settings")
def download_scheduled(name):
    found = {b.name: b for b in backup_files(current_app.instance_path)}
    if name not in found:
        abort(404)
    return send_file(found[name].path, mimetype="application/zip", as_attachment=True, download_name=name)
