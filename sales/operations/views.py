"""Settings → Scheduled jobs: the owner sees each cron job's last runs, on which server, and what went wrong."""
from flask_babel import gettext as _

from sales.htmx import render_page
from sales.operations import bp
from sales.operations.jobs import STALE_AFTER, job_states, run_was_lost
from sales.policy import require


@bp.route("/settings/jobs")
@require("shop.settings")
def jobs():
    return render_page(None, "operations/_jobs.html", title=_("Scheduled jobs"), states=job_states(),
                       run_was_lost=run_was_lost, stale_hours=int(STALE_AFTER.total_seconds() // 3600))
