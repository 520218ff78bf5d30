"""The onboarding page: a seller goes through it and ticks the checklist; the owner writes the checklist; the
owner and a team's manager see who has gone through it."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from extensions import db
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.negotiation.rules import playbook
from sales.onboarding import bp, rules
from sales.pagination import page_number, paginate
from sales.policy import can, require


class ChecklistForm(FlaskForm):
    text = TextAreaField(_l("The checklist, one item a line"),
                         description=_l("What a new seller does in their first days, in order. Editing a line makes "
                                        "it a new item that everyone ticks again."))


def _page(form=None, status=200):
    items = rules.items()
    ticked = rules.ticked(current_user)
    team, counts = None, {}
    if current_user.is_owner or current_user.is_manager:
        team = paginate(rules.people(current_user), page_number(request.args.get("page")), 50)
        counts = rules.counts([person.id for person in team.items])
    if form is None and can(current_user, "users.manage"):
        form = ChecklistForm(data={"text": rules.checklist_text()})
    return render_page(None, "onboarding/_page.html", title=_("Your first days"), active_nav="pages.home",
                       items=items, ticked=ticked, done_count=len(ticked & {item.id for item in items}), playbook=playbook(limit_per_kind=3),
                       notes=rules.competitor_notes(), team=team, counts=counts, form=form, tick_form=EmptyForm(),
                       status=status)


@bp.route("/")
@require("leads.view")
def page():
    return _page()


@bp.route("/", methods=["POST"])
@require("leads.view")
def tick():
    """Tick or untick one item of one's own checklist (item=<id>, done=1 or 0)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    raw = request.form.get("item", "")
    if not raw.isdigit() or not rules.tick(current_user, int(raw), request.form.get("done") == "1"):
        abort(404)
    db.session.commit()
    if rules.still_to_do(current_user) is None and rules.items() and current_user.role == "seller":
        flash(_("You have gone through your first days' checklist. Your manager can see it."), "success")
    return redirect(url_for("onboarding.page", _anchor="checklist"), 303)


@bp.route("/checklist", methods=["POST"])
@require("users.manage")
def save_checklist():
    form = ChecklistForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    rules.save_checklist(form.text.data)
    db.session.commit()
    flash(_("The first days' checklist is saved."), "success")
    return redirect(url_for("onboarding.page", _anchor="write-checklist"), 303)
