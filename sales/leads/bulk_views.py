"""The leads list's bulk actions: choose rows (or every lead of the filter), choose what to do, confirm with the
count, and undo within ten minutes. Plain form POSTs; htmx's boost only spares the page reload."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from extensions import db
from models import BulkAction, PipelineStage
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.ids import record_id
from sales.leads import bp, bulk_actions, rules
from sales.leads.stages import ensure_default_stages
from sales.policy import require

# The filter fields of the list, carried by the bulk form so "every lead matching" means the list's filter.
FILTER_FIELDS = ("q", "stage", "seller", "source", "priority", "outcome")


def bulk_context(stages=None, sellers=None):
    """What the list needs for its bulk bar and for the message of a bulk action just done (with its Undo)."""
    done = None
    action_id = request.args.get("done", type=_id_or_none)
    if action_id:
        bulk = db.session.get(BulkAction, action_id)
        if bulk is not None and bulk.user_id == current_user.id and bulk_actions.undoable(bulk):
            done = bulk
    stages = ensure_default_stages() if stages is None else stages
    return {"bulk_done": done, "bulk_stages": stages,
            "bulk_sellers": bulk_actions.assignees(current_user, sellers), "filter_fields": FILTER_FIELDS}


def _id_or_none(text):
    try:
        return record_id(text)
    except (TypeError, ValueError):
        return None


def _chosen_action(value):
    """The bulk bar's one choice, "move:<stage id>", "reassign:<seller id>" or "lose": (action, stage, seller)."""
    action, _sep, ident = (value or "").partition(":")
    if action == "lose":
        return "lose", None, None
    if action == "move":
        stage = db.session.get(PipelineStage, _id_or_none(ident) or 0)
        if stage is not None and stage.active:
            # Moving to a lost stage is losing: it asks why, like every other way of losing a lead.
            return ("lose", None, None) if stage.kind == "lost" else ("move", stage, None)
    if action == "reassign":
        seller = bulk_actions.seller_named(current_user, _id_or_none(ident))
        if seller is not None:
            return "reassign", None, seller
    return None, None, None


def _selection(form):
    from sales.leads.views import _filters

    if form.get("all_matching") == "1":
        filters = _filters(form)
        statement = rules.lead_statement(current_user, **filters, include_closed=bool(filters["stage_id"]))
        return bulk_actions.selection(current_user, statement=statement)
    ids = {i for i in (_id_or_none(v) for v in form.getlist("lead_id")) if i}
    return bulk_actions.selection(current_user, ids=ids)


def _question(action, count, stage, seller):
    if action == "move":
        return ngettext("Move %(num)d lead to %(stage)s?", "Move %(num)d leads to %(stage)s?", count,
                        stage=stage.name)
    if action == "reassign":
        return ngettext("Reassign %(num)d lead to %(name)s?", "Reassign %(num)d leads to %(name)s?", count,
                        name=seller.name)
    return ngettext("Close %(num)d lead as lost?", "Close %(num)d leads as lost?", count)


def _confirmation(leads, left_out, action, stage, seller, choice, status=200, reason_error=None):
    from sales.negotiation.forms import LOST_REASON_CHOICES

    return render_page("leads/bulk_confirm.html", "leads/_bulk_confirm.html", status=status, leads=leads,
                       left_out=left_out, action=action, choice=choice,
                       question=_question(action, len(leads), stage, seller), form=EmptyForm(),
                       lost_reasons=LOST_REASON_CHOICES, lost_reason=request.form.get("lost_reason", ""),
                       reason_error=reason_error)


def _back_to_list(message, **args):
    flash(message, "warning")
    return redirect(url_for("leads.index", **args), 303)


@bp.route("/bulk", methods=["POST"])
@require("leads.edit")
def bulk_confirm():
    """Step one: what would change, and how many — nothing changes yet."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    list_args = {name: request.form[name] for name in FILTER_FIELDS if request.form.get(name)}
    action, stage, seller = _chosen_action(request.form.get("action"))
    if action is None:
        return _back_to_list(_("Choose what to do with the selected leads."), **list_args)
    leads, left_out = _selection(request.form)
    if not leads:
        if left_out:
            return _back_to_list(ngettext("You may not change the %(num)d selected lead.",
                                          "You may not change any of the %(num)d selected leads.", left_out),
                                 **list_args)
        return _back_to_list(_("Tick the leads to change first."), **list_args)
    return _confirmation(leads, left_out, action, stage, seller, request.form.get("action"))


@bp.route("/bulk/apply", methods=["POST"])
@require("leads.edit")
def bulk_apply():
    """Step two, after the confirmation: change the leads (the ones the user may change, checked again)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    action, stage, seller = _chosen_action(request.form.get("action"))
    if action is None:
        abort(400)
    leads, left_out = _selection(request.form)
    if not leads:
        return _back_to_list(_("Tick the leads to change first."))
    lost_reason = None
    if action == "lose":
        from sales.negotiation.forms import LOST_REASON_NAMES

        lost_reason = request.form.get("lost_reason")
        if lost_reason not in LOST_REASON_NAMES:
            return _confirmation(leads, left_out, action, stage, seller, request.form.get("action"), status=422,
                                 reason_error=_("Say why these leads were lost."))
    bulk = bulk_actions.apply(current_user, action, leads, stage=stage, seller=seller, lost_reason=lost_reason)
    db.session.commit()
    return redirect(url_for("leads.index", done=bulk.id), 303)


@bp.route("/bulk/<int:action_id>/undo", methods=["POST"])
@require("leads.edit")
def bulk_undo(action_id):
    bulk = bulk_actions.get_own_action_or_404(action_id, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    undone = bulk_actions.undo(current_user, bulk) if bulk_actions.undoable(bulk) else None
    if undone is None:
        db.session.rollback()
        flash(_("This can no longer be undone: undo works for ten minutes, once."), "warning")
        return redirect(url_for("leads.index"), 303)
    restored, kept = undone
    db.session.commit()
    flash(ngettext("Undone: %(num)d lead is back as it was.", "Undone: %(num)d leads are back as they were.",
                   len(restored)), "success")
    if kept:
        flash(ngettext("%(num)d lead was changed since and is left as it is.",
                       "%(num)d leads were changed since and are left as they are.", len(kept)), "warning")
    return redirect(url_for("leads.index"), 303)
