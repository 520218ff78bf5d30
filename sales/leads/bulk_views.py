"""The leads list's bulk actions: choose rows (or every lead of the filter), choose what to do, confirm with the
count, and undo within ten minutes — the steps of sales/bulk.py, with the leads' own choices."""
from sales import bulk
from sales.leads import bp
from sales.leads.bulk_actions import KIND
from sales.policy import require

bulk.add_routes(bp, KIND)


def bulk_context(stages=None, sellers=None):
    """The bulk bar's context; `stages` and `sellers` when the list page has read them already."""
    return bulk.list_context(KIND, stages=stages, sellers=sellers)


@bp.route("/bulk/<int:action_id>/undo", methods=["POST"])
@require("leads.edit")
def bulk_undo(action_id):
    # The address the leads list used before every list shared bulk.undo_action; kept for open pages.
    return bulk.undo_view(action_id, entity=KIND.entity)
