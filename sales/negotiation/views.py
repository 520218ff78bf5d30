from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from models import Competitor, Concession, DealCompetitor, DecisionMaker, NegotiationNote, Objection, utcnow
from sales.clock import shop_today
from sales.forms import EmptyForm
from sales.htmx import render_page, wants_fragment
from sales.ids import record_id
from sales.leads.access import get_lead_or_404
from sales.leads.stages import ensure_default_stages
from sales.negotiation import bp, rules
from sales.negotiation.forms import (AnswerObjectionForm, CloseForm, CompetitorForm, ConcessionForm,
                                     DealCompetitorForm, DecisionMakerForm, NoteForm, ObjectionForm, ReopenForm)
from sales import records
from sales.policy import require
from sales.texts import N_, stored


def _forms(lead, **overrides):
    """Every form of the negotiation page, fresh unless one is handed in with the user's input and errors."""
    competitor_choices = [(0, "—")] + [(c.id, c.name) for c in rules.active_competitors()]
    forms = {
        "note": NoteForm(formdata=None),
        "objection": ObjectionForm(formdata=None),
        "concession": ConcessionForm(formdata=None),
        "competitor": DealCompetitorForm(formdata=None),
        "person": DecisionMakerForm(formdata=None),
        # ?outcome=lost: sent here from the board's "Lost", the form opens on the reason.
        "close": CloseForm(formdata=None, won_amount=rules.default_won_amount(lead),
                           follow_up_on=shop_today() + timedelta(days=7),
                           outcome=request.args.get("outcome") if request.args.get("outcome") in ("won", "lost")
                           else None),
        # ?reopen_to=<stage>: sent here from the board's move of a closed deal, the reason is asked for that stage.
        "reopen": ReopenForm(formdata=None, stage_id=request.args.get("reopen_to", type=record_id)
                             or rules.last_open_stage(lead)),
        "action": EmptyForm(),
    }
    forms.update(overrides)
    forms["competitor"].competitor_id.choices = competitor_choices
    forms["close"].lost_to_id.choices = competitor_choices
    forms["reopen"].stage_id.choices = [(s.id, s.shown_name) for s in ensure_default_stages() if s.kind == "open"]
    return forms


def _page(lead, status=200, **overrides):
    objection_form = overrides.get("objection") or ObjectionForm(formdata=None)
    return render_page(None, "negotiation/_deal.html", title=_("Negotiation · %(title)s", title=lead.title),
                       lead=lead, deal=rules.deal(lead), forms=_forms(lead, **overrides),
                       suggestions=rules.playbook(limit_per_kind=3), selected_kind=objection_form.kind.data,
                       may_work=_may_work(lead), status=status)


def _may_work(lead):
    from sales.leads.rules import may_work

    return may_work(current_user, lead)


def _back(lead, anchor):
    return redirect(url_for("negotiation.deal", lead_id=lead.id, _anchor=anchor), 303)


@bp.route("/lead/<int:lead_id>")
@require("leads.view")
def deal(lead_id):
    return _page(get_lead_or_404(lead_id))


@bp.route("/lead/<int:lead_id>/notes", methods=["POST"])
@require("leads.edit")
def add_note(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = NoteForm()
    if not form.validate_on_submit():
        if wants_fragment():
            return render_page(None, "negotiation/_notes.html", lead=lead, deal=rules.deal(lead),
                               forms=_forms(lead, note=form), may_work=True, status=422)
        return _page(lead, 422, note=form)
    db.session.add(NegotiationNote(lead_id=lead.id, user_id=current_user.id, body=form.body.data.strip()))
    db.session.commit()
    if wants_fragment():
        # htmx: swap in the thread with the new note and an empty box, no page load.
        return render_page(None, "negotiation/_notes.html", lead=lead, deal=rules.deal(lead), forms=_forms(lead),
                           may_work=True)
    return _back(lead, "notes")


@bp.route("/lead/<int:lead_id>/objections", methods=["POST"])
@require("leads.edit")
def add_objection(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = ObjectionForm()
    if not form.validate_on_submit():
        return _page(lead, 422, objection=form)
    answer = (form.answer.data or "").strip() or None
    db.session.add(Objection(lead_id=lead.id, user_id=current_user.id, kind=form.kind.data,
                             customer_words=form.customer_words.data.strip(), answer=answer,
                             resolved=bool(form.resolved.data and answer),
                             resolved_at=utcnow() if form.resolved.data and answer else None))
    db.session.commit()
    flash(_("Objection noted."), "success")
    return _back(lead, "objections")


@bp.route("/objections/<int:objection_id>", methods=["POST"])
@require("leads.edit")
def answer_objection(objection_id):
    objection = records.get_or_404(Objection, objection_id, change=True)
    lead = get_lead_or_404(objection.lead_id, work=True)
    form = AnswerObjectionForm(prefix=f"o{objection.id}")
    if not form.validate_on_submit():
        flash(_("Write the answer given before saving."), "error")
        return _back(lead, f"objection-{objection.id}")
    objection.answer = form.answer.data.strip()
    if form.resolved.data and not objection.resolved:
        objection.resolved, objection.resolved_at = True, utcnow()
    elif not form.resolved.data:
        objection.resolved, objection.resolved_at = False, None
    db.session.commit()
    flash(_("Objection resolved.") if objection.resolved else _("Answer saved; the objection stays open."),
          "success")
    return _back(lead, "objections")


@bp.route("/lead/<int:lead_id>/concessions", methods=["POST"])
@require("leads.edit")
def add_concession(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = ConcessionForm()
    if not form.validate_on_submit():
        return _page(lead, 422, concession=form)
    db.session.add(Concession(lead_id=lead.id, user_id=current_user.id, kind=form.kind.data,
                              description=form.description.data.strip(), value=form.value.data or 0,
                              in_return=(form.in_return.data or "").strip() or None))
    db.session.commit()
    flash(_("Concession logged."), "success")
    return _back(lead, "concessions")


@bp.route("/lead/<int:lead_id>/competitors", methods=["POST"])
@require("leads.edit")
def add_competitor(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = DealCompetitorForm()
    form.competitor_id.choices = [(0, "—")] + [(c.id, c.name) for c in rules.active_competitors()]
    if form.validate_on_submit():
        competitor = None
        if (form.new_competitor.data or "").strip():
            competitor = rules.find_or_create_competitor(form.new_competitor.data)
        elif form.competitor_id.data:
            competitor = db.session.get(Competitor, form.competitor_id.data)
        if competitor is None:
            form.competitor_id.errors.append(_("Choose a competitor or type a new one."))
        elif db.session.query(DealCompetitor).filter_by(lead_id=lead.id, competitor_id=competitor.id).first():
            form.competitor_id.errors.append(_("%(name)s is already in this deal.", name=competitor.name))
        else:
            db.session.add(DealCompetitor(lead_id=lead.id, competitor_id=competitor.id,
                                          offer=(form.offer.data or "").strip() or None,
                                          offer_value=form.offer_value.data,
                                          strengths=(form.strengths.data or "").strip() or None))
            lead.competitor_involved = True
            db.session.commit()
            flash(_("%(name)s added to the deal.", name=competitor.name), "success")
            return _back(lead, "competitors")
    return _page(lead, 422, competitor=form)


@bp.route("/lead/<int:lead_id>/people", methods=["POST"])
@require("leads.edit")
def add_person(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = DecisionMakerForm()
    if not form.validate_on_submit():
        return _page(lead, 422, person=form)
    db.session.add(DecisionMaker(lead_id=lead.id, name=form.name.data.strip(), role=form.role.data,
                                 stance=form.stance.data, notes=(form.notes.data or "").strip() or None))
    db.session.commit()
    flash(_("%(name)s added.", name=form.name.data.strip()), "success")
    return _back(lead, "people")


@bp.route("/lead/<int:lead_id>/close", methods=["POST"])
@require("leads.edit")
def close(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = CloseForm()
    form.lost_to_id.choices = [(0, "—")] + [(c.id, c.name) for c in rules.active_competitors()]
    if not form.validate_on_submit():
        return _page(lead, 422, close=form)
    note = (form.note.data or "").strip() or None
    if form.outcome.data == "won":
        rules.close_won(lead, form.won_amount.data, note, form.follow_up.data.strip(), form.follow_up_on.data,
                        current_user.id, goal=stored(N_("Deal won: %(title)s"), title=lead.title, limit=300))
        message = _("Won! “%(title)s” is closed; the follow-up is in your My day.", title=lead.title)
    else:
        rules.close_lost(lead, form.lost_reason.data, form.lost_to_id.data or None, note,
                         form.follow_up.data.strip(), form.follow_up_on.data, current_user.id,
                         goal=stored(N_("Deal lost: %(title)s"), title=lead.title, limit=300))
        message = _("“%(title)s” is closed as lost; the follow-up is in your My day.", title=lead.title)
    from sales.leads.rules import refresh_priority

    refresh_priority(lead)
    db.session.commit()
    flash(message, "success")
    return _back(lead, "closing")


@bp.route("/lead/<int:lead_id>/reopen", methods=["POST"])
@require("leads.edit")
def reopen(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = ReopenForm()
    form.stage_id.choices = [(s.id, s.shown_name) for s in ensure_default_stages() if s.kind == "open"]
    if not form.validate_on_submit():
        return _page(lead, 422, reopen=form)
    stage = next(s for s in ensure_default_stages() if s.id == form.stage_id.data)
    rules.reopen(lead, stage, form.reason.data.strip(), current_user.id)
    from sales.leads.rules import refresh_priority

    refresh_priority(lead)
    db.session.commit()
    flash(_("“%(title)s” is open again, in %(stage)s.", title=lead.title, stage=stage.shown_name), "success")
    return _back(lead, "closing")


# --- The shop's competitors and its playbook ---------------------------------------------------------------


@bp.route("/competitors", methods=["GET", "POST"])
@require("leads.view")
def competitors():
    form = CompetitorForm()
    status = 200
    if request.method == "POST":
        if current_user.role not in ("owner", "seller"):
            abort(403)
        if form.validate_on_submit():
            competitor = rules.find_or_create_competitor(form.name.data)
            competitor.strengths = (form.strengths.data or "").strip() or None
            competitor.weaknesses = (form.weaknesses.data or "").strip() or None
            db.session.commit()
            flash(_("%(name)s saved.", name=competitor.name), "success")
            return redirect(url_for("negotiation.competitors"), 303)
        status = 422
    from sqlalchemy import func, select

    in_deals = dict(db.session.execute(select(DealCompetitor.competitor_id, func.count())
                                       .group_by(DealCompetitor.competitor_id)).all())
    return render_page(None, "negotiation/_competitors.html", title=_("Competitors"),
                       competitors=rules.active_competitors(), in_deals=in_deals, form=form, status=status)


@bp.route("/playbook")
@require("leads.view")
def playbook():
    return render_page(None, "negotiation/_playbook.html", title=_("Objection playbook"),
                       entries=rules.playbook())
