
from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models import ContactLog, Customer, Inquiry, Lead, PipelineStage, StageChange
from sales.clock import shop_today
from sales.forms import EmptyForm
from sales.htmx import render_page, wants_fragment
from sales.ids import record_id
from sales.leads import bp, rules
from sales.leads.access import get_lead_or_404
from sales.leads.forms import SOURCE_CHOICES, LeadForm, MoveForm, QualificationForm
from sales.leads.priority import reasons_of
from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage
from sales.pagination import page_number, paginate
from sales import records
from sales.policy import require


def _filters(args=None):
    args = request.args if args is None else args
    as_int = lambda name: args.get(name, type=record_id)  # noqa: E731
    seller_id = as_int("seller")
    if current_user.role == "seller" and not rules.sellers_see_all() and not current_user.is_manager:
        seller_id = None  # a seller's own leads are all they have anyway (a team's manager picks one of theirs)
    return {
        "text": args.get("q", "").strip(),
        "stage_id": as_int("stage"),
        "seller_id": seller_id,
        "source": args.get("source") if args.get("source") in dict(SOURCE_CHOICES) else None,
        "band": args.get("priority") if args.get("priority") in rules.PRIORITY_BANDS else None,
        "outcome": args.get("outcome") if args.get("outcome") in rules.OUTCOMES else None,
    }


@bp.route("/")
@require("leads.view")
def index():
    filters = _filters()
    # Read once for the filters and the bulk bar alike.
    stages, people = ensure_default_stages(), rules.sellers()
    statement = rules.lead_statement(current_user, **filters, include_closed=bool(filters["stage_id"]))
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    from sales.leads.bulk_views import bulk_context

    return render_page("leads/index.html", "leads/_results.html", page=page, filters=filters,
                       stages=stages, sellers=_seller_filter(people), sources=SOURCE_CHOICES,
                       show_seller_filter=_shows_seller_filter(), **bulk_context(stages, people))


@bp.route("/board")
@require("leads.view")
def board():
    seller_id = request.values.get("seller", type=record_id)
    if current_user.role != "owner" and not current_user.is_manager and not rules.sellers_see_all():
        seller_id = None
    stages = ensure_default_stages()
    if db.session.info.pop("stages_created", False):
        db.session.commit()  # the first look at the pipeline creates the default stages
    columns = rules.board(current_user, seller_id=seller_id, stages=stages)
    stages = [column["stage"] for column in columns]
    workable = rules.workable_ids(current_user, [lead.id for column in columns for lead in column["leads"]])
    return render_page("leads/board.html", "leads/_board.html", columns=columns, stages=stages, workable=workable,
                       next_stage=lambda stage: rules.next_stage(stage, stages), seller_id=seller_id,
                       sellers=_seller_filter(), move_form=EmptyForm(),
                       show_seller_filter=_shows_seller_filter())


def _seller_filter(people=None):
    people = rules.sellers() if people is None else people
    return people if rules.sellers_see_all() else records.assignees(current_user, people)


def _shows_seller_filter():
    return current_user.role == "owner" or rules.sellers_see_all() or current_user.is_manager


def _lead_form(lead=None):
    form = LeadForm(obj=lead) if lead else LeadForm()
    form.seller_id.choices = [(0, "—")] + [(u.id, u.name) for u in rules.sellers()]
    if current_user.is_manager:
        # A team's manager hands the team's leads to anyone in the team (sales/records.py).
        form.seller_id.choices = [(u.id, u.name) for u in records.assignees(current_user, rules.sellers())]
    elif current_user.role != "owner":
        # Sellers create leads for themselves; only the owner assigns them to others.
        form.seller_id.choices = [(current_user.id, current_user.name)]
    if request.method == "GET":
        if lead:
            form.version.data = lead.version
            form.seller_id.data = lead.seller_id or 0
        else:
            form.seller_id.data = current_user.id if current_user.role in ("owner", "seller") else 0
            if request.args.get("customer_id", "").isdigit():
                form.customer_id.data = request.args["customer_id"]
    return form


def _record_id_or_none(text):
    try:
        return record_id(text)
    except (TypeError, ValueError):
        return None


def _chosen_customer(form):
    customer_id = _record_id_or_none(form.customer_id.data)
    if customer_id:
        customer = db.session.get(Customer, customer_id)
        if customer and customer.archived_at is None:
            return customer
    return None


def _customer_matches(text):
    if not text or len(text.strip()) < 2:
        return []
    from sales.customers.rules import search_statement

    return db.session.scalars(search_statement(text).limit(8)).all()


@bp.route("/customer-options")
@require("leads.edit")
def customer_options():
    """htmx: customers matching what was typed in the lead form's customer box."""
    matches = _customer_matches(request.args.get("customer_q", ""))
    return render_page("leads/_customer_options.html", "leads/_customer_options.html", matches=matches,
                       chosen_id=None, query=request.args.get("customer_q", ""))


@bp.route("/new", methods=["GET", "POST"])
@require("leads.edit")
def new():
    form = _lead_form()
    customer = _chosen_customer(form)
    matches = []
    status = 200
    if request.method == "POST" and request.form.get("find"):
        # "Find" without JavaScript: show matching customers, keep everything typed, validate nothing yet.
        matches = _customer_matches(form.customer_q.data)
        return render_page("leads/form.html", "leads/_form.html", form=form, lead=None, customer=customer,
                           matches=matches, searched=True)
    fields, custom, custom_errors = _custom_values()
    if form.validate_on_submit() and not custom_errors:
        prospect = None
        if customer is None:
            name = (form.prospect_name.data or "").strip()
            if not name:
                form.prospect_name.errors.append(_("Choose a customer above, or write the new prospect's name."))
            else:
                existing = rules.find_customer_by_contact(form.prospect_email.data, form.prospect_phone.data)
                if existing:
                    customer = existing
                    flash(_("%(name)s was already a customer (same email or phone); the lead is linked to them.",
                            name=existing.name), "info")
                else:
                    prospect = Customer(name=name, email=(form.prospect_email.data or "").strip().lower() or None,
                                        phone=(form.prospect_phone.data or "").strip() or None,
                                        owner_id=current_user.id if current_user.role == "seller" else None)
                    prospect.refresh_phone_digits()
                    db.session.add(prospect)
                    customer = prospect
        if customer is not None:
            lead = Lead(customer=customer, custom=custom or None)
            _apply(form, lead)
            start_in_stage(lead, user_id=current_user.id)
            db.session.add(lead)
            db.session.flush()
            rules.refresh_priority(lead)
            db.session.commit()
            flash(_("Lead “%(title)s” is saved.", title=lead.title), "success")
            return redirect(url_for("leads.show", lead_id=lead.id), 303)
    if form.errors or custom_errors:
        status = 422
    return render_page("leads/form.html", "leads/_form.html", form=form, lead=None, customer=customer,
                       matches=_customer_matches(form.customer_q.data) if not customer else [],
                       custom_fields=fields, custom=custom, custom_errors=custom_errors, status=status)


def _custom_values(lead=None):
    """The owner's own fields of leads, with what the form sent (or the lead's values) and their errors."""
    from sales import custom_fields

    fields = custom_fields.active_fields("lead")
    if request.method != "POST":
        return fields, dict((lead.custom if lead else None) or {}), {}
    return (fields, *custom_fields.read_form(fields, request.form, lead.custom if lead else None))


def _apply(form, lead):
    lead.title = form.title.data.strip()
    lead.source = form.source.data
    lead.estimated_value = form.estimated_value.data
    lead.expected_close_date = form.expected_close_date.data
    lead.description = (form.description.data or "").strip() or None
    lead.competitor_involved = form.competitor_involved.data
    lead.competitor_note = (form.competitor_note.data or "").strip() or None
    lead.decision_deadline = form.decision_deadline.data
    if current_user.role == "owner":
        lead.seller_id = form.seller_id.data or None
    elif lead.seller_id is None:
        lead.seller_id = current_user.id


@bp.route("/<int:lead_id>")
@require("leads.view")
def show(lead_id):
    # The stage history (and who moved it) comes with the lead: a move or two per deal, not a statement of its own.
    lead = get_lead_or_404(lead_id, options=[joinedload(Lead.customer), joinedload(Lead.seller),
                                             joinedload(Lead.stage_changes).joinedload(StageChange.changed_by)])
    stages = ensure_default_stages()
    history = lead.stage_changes
    # The people the page names come with the rows that name them: no query per person.
    contacts = db.session.scalars(
        select(ContactLog).where(ContactLog.lead_id == lead.id).options(joinedload(ContactLog.user))
        .order_by(ContactLog.happened_at.desc(), ContactLog.id.desc()).limit(50)
    ).all()
    inquiries = db.session.scalars(
        select(Inquiry).where(Inquiry.customer_id == lead.customer_id, records.visible(Inquiry, current_user))
        .options(joinedload(Inquiry.answered_by))
        .order_by(Inquiry.answered_at.is_not(None), Inquiry.created_at.desc()).limit(20)
    ).all()
    move_form = MoveForm(stage_id=lead.stage_id)
    move_form.stage_id.choices = [(s.id, s.shown_name) for s in stages]
    qualification_form = QualificationForm(obj=lead, formdata=None)
    qualification_form.version.data = lead.version
    from sales.documents.views import Section
    from sales.quotes.rules import quotes_of_lead

    return render_page("leads/show.html", "leads/_detail.html", lead=lead,
                       docs=Section(lead, empty=_("No plans, offers or other files on this deal yet.")), stages=stages, history=history,
                       contacts=contacts, inquiries=inquiries, quotes=quotes_of_lead(lead), reasons=reasons_of(lead), move_form=move_form,
                       qualification_form=qualification_form, may_work=rules.may_work(current_user, lead),
                       custom_fields=_custom_values(lead)[0], today=shop_today())


@bp.route("/<int:lead_id>/edit", methods=["GET", "POST"])
@require("leads.edit")
def edit(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = _lead_form(lead)
    conflict = False
    fields, custom, custom_errors = _custom_values(lead)
    if form.validate_on_submit() and not custom_errors:
        if form.loaded_version() != lead.version:
            conflict = True
        else:
            try:
                _apply(form, lead)
                lead.custom = custom or None
                # The priority reads the lead's history: that query flushes the change, so it may be the
                # statement that finds the lead changed meanwhile.
                rules.refresh_priority(lead)
                db.session.commit()
            except StaleDataError:
                db.session.rollback()
                lead = get_lead_or_404(lead_id, work=True)
                conflict = True
            else:
                flash(_("Lead “%(title)s” is saved.", title=lead.title), "success")
                return redirect(url_for("leads.show", lead_id=lead.id), 303)
        if conflict:
            form.version.data = lead.version
    status = 409 if conflict else 422 if form.errors or custom_errors else 200
    return render_page("leads/form.html", "leads/_form.html", form=form, lead=lead, customer=lead.customer,
                       matches=[], conflict=conflict, custom_fields=fields, custom=custom,
                       custom_errors=custom_errors, status=status)


@bp.route("/<int:lead_id>/move")
@require("leads.edit")
def move_choices(lead_id):
    """Every stage a card on the board can go to, for one lead: the board itself lists them for none."""
    lead = get_lead_or_404(lead_id, work=True)
    return render_page("leads/move.html", "leads/_move.html", lead=lead, stages=ensure_default_stages(),
                       move_form=EmptyForm(), seller_id=request.args.get("seller", type=int))


@bp.route("/<int:lead_id>/move", methods=["POST"])
@require("leads.edit")
def move(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    stage = db.session.get(PipelineStage, request.form.get("stage_id", type=record_id) or 0)
    if not EmptyForm().validate_on_submit() or stage is None or not stage.active:
        abort(400)
    if stage.kind == "lost" and lead.stage_id != stage.id:
        # Losing a deal asks why, wherever it is done: the closing form of the negotiation page does.
        flash(_("Say why “%(title)s” was lost to close it.", title=lead.title), "warning")
        return _to_closing_form(url_for("negotiation.deal", lead_id=lead.id, outcome="lost", _anchor="closing"))
    if stage.kind == "open" and lead.stage.is_closed:
        # Reopening a closed deal is recorded with its reason too: the negotiation page's reopen form asks it.
        flash(_("Say why “%(title)s” is reopened.", title=lead.title), "warning")
        return _to_closing_form(url_for("negotiation.deal", lead_id=lead.id, reopen_to=stage.id, _anchor="closing"))
    change = move_to_stage(lead, stage, user_id=current_user.id)
    rules.refresh_priority(lead)
    db.session.commit()
    target = request.form.get("back")
    if wants_fragment() and target == "board":
        return board()  # the card is seen moving: no message needed
    if change:
        flash(_("“%(title)s” moved to %(stage)s.", title=lead.title, stage=stage.shown_name), "success")
    if target == "board":
        return redirect(url_for("leads.board", seller=request.form.get("seller", type=int)), 303)
    return redirect(url_for("leads.show", lead_id=lead.id), 303)


def _to_closing_form(target):
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


@bp.route("/<int:lead_id>/qualify", methods=["POST"])
@require("leads.edit")
def qualify(lead_id):
    lead = get_lead_or_404(lead_id, work=True)
    form = QualificationForm()
    if form.validate_on_submit():
        if form.loaded_version() != lead.version:
            form.version.errors.append(_("Someone else changed this lead meanwhile; your ratings are kept below. "
                                         "Save again to apply them."))
            form.version.data = lead.version
            return _qualification_response(lead, form, 409)
        for name in ("need", "buying_power", "receptivity", "access"):
            setattr(lead, f"{name}_rating", getattr(form, f"{name}_rating").data)
            setattr(lead, f"{name}_note", (getattr(form, f"{name}_note").data or "").strip() or None)
        lead.qualification = form.qualification.data
        lead.qualification_reason = (form.qualification_reason.data or "").strip() or None
        rules.refresh_priority(lead)
        db.session.commit()
        flash(_("Qualification saved."), "success")
        return redirect(url_for("leads.show", lead_id=lead.id, _anchor="qualification"), 303)
    return _qualification_response(lead, form, 422)


def _qualification_response(lead, form, status):
    return render_page("leads/qualify.html", "leads/_qualification.html", lead=lead, qualification_form=form,
                       may_work=True, status=status)


@bp.route("/customer/<int:customer_id>")
@require("leads.view")
def for_customer(customer_id):
    """The leads of one customer (linked from the customer page)."""
    customer = db.session.get(Customer, customer_id) or abort(404)
    statement = rules.lead_statement(current_user).where(Lead.customer_id == customer.id)
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_page("leads/index.html", "leads/_results.html", page=page, customer=customer,
                       filters={"text": "", "stage_id": None, "seller_id": None, "source": None, "band": None},
                       stages=ensure_default_stages(), sellers=rules.sellers(), sources=SOURCE_CHOICES,
                       show_seller_filter=False)

