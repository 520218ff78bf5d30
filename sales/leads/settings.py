"""The owner shapes the pipeline: rename, reorder, add and retire stages; share leads among sellers."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, ngettext
from sqlalchemy import func, select

from extensions import db
from models import Lead, PipelineStage, ShopSetting
from sales import records
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.leads import bp, rules
from sales.leads.capture import FRAMING_SITES, framing_sites
from sales.leads.forms import EmbeddingForm, SettingsForm, stage_form
from sales.leads.stages import ensure_default_stages
from sales.policy import require


def get_stage_or_404(stage_id):
    return db.session.get(PipelineStage, stage_id) or abort(404)


def _page(new_form=None, status=200, edit_forms=None, embedding_form=None):
    stages = db.session.scalars(select(PipelineStage).order_by(PipelineStage.active.desc(), PipelineStage.position,
                                                               PipelineStage.id)).all()
    counts = dict(db.session.execute(select(Lead.stage_id, func.count()).group_by(Lead.stage_id)).all())
    edit_forms = edit_forms or {}
    forms = {s.id: edit_forms.get(s.id) or stage_form(f"s{s.id}", s, submitted=False) for s in stages}
    settings_form = SettingsForm(formdata=None, sellers_see_all=rules.sellers_see_all(),
                                 managers_see_all=records.managers_see_other_teams())
    embedding_form = embedding_form or EmbeddingForm(formdata=None, sites="\n".join(framing_sites()))
    return render_page("leads/settings.html", "leads/_settings.html", stages=stages, counts=counts, forms=forms,
                       new_form=new_form or stage_form("new", submitted=False), settings_form=settings_form,
                       embedding_form=embedding_form, action_form=EmptyForm(), status=status)


@bp.route("/settings")
@require("pipeline.configure")
def settings():
    ensure_default_stages()
    db.session.commit()
    return _page()


@bp.route("/settings/stages", methods=["POST"])
@require("pipeline.configure")
def add_stage():
    form = stage_form("new")
    if not form.validate_on_submit():
        return _page(new_form=form, status=422)
    last = db.session.scalar(select(func.max(PipelineStage.position))) or 0
    # A new open stage goes before the closing ones; won/lost stages go last.
    if form.kind.data == "open":
        first_closed = db.session.scalar(select(func.min(PipelineStage.position))
                                         .where(PipelineStage.kind != "open", PipelineStage.active))
        position = (first_closed - 5) if first_closed else last + 10
    else:
        position = last + 10
    stage = PipelineStage(name=form.name.data.strip(), names=form.names(), kind=form.kind.data, position=position)
    db.session.add(stage)
    _renumber()
    db.session.commit()
    flash(_("Stage “%(name)s” added.", name=stage.shown_name), "success")
    return redirect(url_for("leads.settings"), 303)


@bp.route("/settings/stages/<int:stage_id>", methods=["POST"])
@require("pipeline.configure")
def rename_stage(stage_id):
    stage = get_stage_or_404(stage_id)
    form = stage_form(f"s{stage.id}")
    if not form.validate_on_submit():
        return _page(edit_forms={stage.id: form}, status=422)
    if stage.kind != form.kind.data and _would_leave_no(stage.kind, stage):
        form.kind.errors.append(_("The pipeline needs at least one active won stage and one lost stage."))
        return _page(edit_forms={stage.id: form}, status=422)
    stage.name = form.name.data.strip()
    stage.names = form.names(stage.names)
    stage.kind = form.kind.data
    db.session.commit()
    flash(_("Stage “%(name)s” saved.", name=stage.shown_name), "success")
    return redirect(url_for("leads.settings"), 303)


@bp.route("/settings/stages/<int:stage_id>/<any(up, down):direction>", methods=["POST"])
@require("pipeline.configure")
def move_stage(stage_id, direction):
    stage = get_stage_or_404(stage_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    stages = [s for s in ensure_default_stages()]
    index = next((i for i, s in enumerate(stages) if s.id == stage.id), None)
    other = index is not None and (index - 1 if direction == "up" else index + 1)
    if index is not None and 0 <= other < len(stages):
        stages[index], stages[other] = stages[other], stages[index]
        for position, s in enumerate(stages, start=1):
            s.position = position * 10
        db.session.commit()
    return redirect(url_for("leads.settings"), 303)


@bp.route("/settings/stages/<int:stage_id>/active", methods=["POST"])
@require("pipeline.configure")
def toggle_stage(stage_id):
    stage = get_stage_or_404(stage_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if stage.active:
        in_use = db.session.scalar(select(func.count()).select_from(Lead).where(Lead.stage_id == stage.id))
        if in_use:
            flash(ngettext("“%(name)s” still holds %(num)d lead: move it to another stage first.",
                           "“%(name)s” still holds %(num)d leads: move them to another stage first.",
                           in_use, name=stage.shown_name), "error")
            return redirect(url_for("leads.settings"), 303)
        if _would_leave_no(stage.kind, stage):
            flash(_("The pipeline needs at least one active won stage and one lost stage."), "error")
            return redirect(url_for("leads.settings"), 303)
    stage.active = not stage.active
    _renumber()
    db.session.commit()
    return redirect(url_for("leads.settings"), 303)


@bp.route("/settings/visibility", methods=["POST"])
@require("pipeline.configure")
def visibility():
    form = SettingsForm()
    if not form.validate_on_submit():
        abort(400)
    ShopSetting.put(rules.SELLERS_SEE_ALL, "1" if form.sellers_see_all.data else "0")
    ShopSetting.put(records.MANAGERS_SEE_ALL, "1" if form.managers_see_all.data else "0")
    db.session.commit()
    flash(_("Lead sharing saved."), "success")
    return redirect(url_for("leads.settings"), 303)


@bp.route("/settings/embedding", methods=["POST"])
@require("pipeline.configure")
def embedding():
    """The websites that may show the public lead form inside a frame (Content-Security-Policy frame-ancestors)."""
    form = EmbeddingForm()
    if not form.validate_on_submit():
        return _page(status=422, embedding_form=form)
    ShopSetting.put(FRAMING_SITES, " ".join((form.sites.data or "").split()))
    db.session.commit()
    flash(_("The web form may now be shown in a frame on: %(sites)s", sites=", ".join(framing_sites()))
          if framing_sites() else _("The web form may be shown in a frame on no other site."), "success")
    return redirect(url_for("leads.settings", _anchor="embedding"), 303)


def _would_leave_no(kind, stage):
    if kind == "open":
        others = select(func.count()).where(PipelineStage.kind == "open", PipelineStage.active,
                                            PipelineStage.id != stage.id)
        return (db.session.scalar(others) or 0) == 0
    others = select(func.count()).where(PipelineStage.kind == kind, PipelineStage.active,
                                        PipelineStage.id != stage.id)
    return (db.session.scalar(others) or 0) == 0


def _renumber():
    db.session.flush()
    for position, stage in enumerate(ensure_default_stages(), start=1):
        stage.position = position * 10
