from datetime import timedelta

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models import Customer, Inquiry, Lead, Order, Product, Quote, QuoteLine, QuoteRevision, User
from sales.clock import shop_today
from sales.customers.rules import search_statement
from sales.forms import EmptyForm
from sales.htmx import render_page, wants_fragment
from sales.ids import record_id
from sales.pagination import page_number, paginate
from sales import records
from sales.policy import require
from sales.quotes import bp, rules
from sales.quotes.forms import QuoteForm
from sales.quotes.lines import fill_form_lines, read_lines


def get_quote_or_404(quote_id, change=False, options=()):
    """The quote if this user may see it (404 otherwise); with `change`, 403 unless they may change it."""
    return records.get_or_404(Quote, quote_id, change=change, options=options)


def get_revision_or_404(quote, number):
    revision = next((r for r in quote.revisions if r.number == number), None)
    return revision or abort(404)


def status_of(revision, today=None):
    return "expired" if revision.is_expired(today or shop_today()) else revision.status


@bp.route("/")
@require("quotes.view")
def index():
    show = request.args.get("show", "open")
    statement = (select(Quote).options(selectinload(Quote.customer), selectinload(Quote.revisions),
                                       selectinload(Quote.seller))
                 .order_by(Quote.id.desc()))
    statement = statement.where(records.visible(Quote, current_user))
    latest_status = rules.latest_status()
    if show == "open":
        statement = statement.where(latest_status.in_(("draft", "sent")))
    elif show in ("accepted", "declined"):
        statement = statement.where(latest_status == show)
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_page(None, "quotes/_list.html", title=_("Quotes"), page=page, show=show,
                       status_of=status_of)


def _choices(form, customer, quote=None):
    products = db.session.scalars(select(Product).where(Product.active).order_by(Product.name)).all()
    for entry in form.lines:
        entry.form.product_id.choices = [(0, _("— free text —"))] + [(p.id, f"{p.name} · {p.code}") for p in products]
    form.customer_id.choices = [(customer.id, customer.name)]
    leads = rules.lead_choices_for(customer.id, current_user, keep=quote.lead if quote else None)
    form.lead_id.choices = [(0, "—")] + [(lead.id, lead.title) for lead in leads]
    return products


def _more_lines(form):
    """ "More lines" adds two empty rows; a suggestion's "Add" fills the first empty row with its product (one
    tap, what was typed is kept: the catalog's price and tax apply when the draft is saved)."""
    product = db.session.get(Product, request.form.get("add_product", type=record_id) or 0)
    if product is not None and product.active:
        empty = next((entry for entry in form.lines if not entry.form.product_id.data
                      and not (entry.form.description.data or "").strip()), None)
        if empty is None:
            form.lines.append_entry()
            empty = form.lines[-1]
        empty.form.product_id.data, empty.form.quantity.data = product.id, 1
        return
    form.lines.append_entry()
    form.lines.append_entry()


def _header_values(form):
    values = {}
    for name in rules.HEADER_FIELDS:
        value = getattr(form, name).data
        values[name] = value.strip() or None if isinstance(value, str) else value
    return values


def _apply_header(revision, form):
    for name, value in _header_values(form).items():
        setattr(revision, name, value)


def _form_page(form, customer, quote=None, revision=None, status=200, conflict=None):
    products = _choices(form, customer, quote)
    chosen = [entry.form.product_id.data for entry in form.lines if entry.form.product_id.data]
    return render_page(None, "quotes/_form.html", title=_("Quote for %(name)s", name=customer.name), form=form,
                       customer=customer, quote=quote, revision=revision, products=products,
                       suggestions=rules.suggestions(customer.id, chosen), status=status, conflict=conflict)


def _conflict(form, quote_id):
    """Someone saved this draft since the form was loaded: what theirs has against what this person typed.
    The form keeps the typed version, now at the saved version number: saving again replaces theirs."""
    db.session.rollback()
    quote = get_quote_or_404(quote_id)
    revision = quote.latest
    lines = read_lines(form)
    typed = rules.typed_draft(lines, _header_values(form)) if lines is not None else None
    conflict = {"by": db.session.get(User, revision.updated_by_id) if revision.updated_by_id else None,
                "at": revision.updated_at,
                "lines": rules.changes(revision, typed) if typed else None,
                "header": rules.header_changes(revision, typed) if typed else [],
                "editable": revision.status == "draft"}
    form.version.data = revision.version
    return _form_page(form, quote.customer, quote, revision, status=409, conflict=conflict)


@bp.route("/new", methods=["GET", "POST"])
@require("quotes.edit")
def new():
    # A quote is made on a lead the user works (H2): another seller's lead is not there for them.
    lead_id = request.values.get("lead_id", type=record_id)
    lead = records.get_or_404(Lead, lead_id, change=True) if lead_id else None
    inquiry_id = request.values.get("inquiry_id", type=record_id)
    inquiry = records.get_or_404(Inquiry, inquiry_id) if inquiry_id else None
    customer = db.session.get(Customer, request.values.get("customer_id", type=record_id) or 0)
    customer = customer or (lead.customer if lead else None) or (inquiry.customer if inquiry else None)
    if customer is None:
        matches = db.session.scalars(search_statement(request.args.get("q", "")).limit(20)).all() \
            if request.args.get("q") else []
        return render_page(None, "quotes/_pick_customer.html", title=_("New quote"), matches=matches,
                           q=request.args.get("q", ""))
    form = QuoteForm()
    if request.method == "GET":
        form.lead_id.data = lead.id if lead else 0
        form.valid_until.data = shop_today() + timedelta(days=rules.default_validity_days())
        if lead is not None:
            form.need.data = lead.description
        if inquiry is not None:
            form.need.data = inquiry.question
            if inquiry.product_id:
                form.lines[0].form.product_id.data = inquiry.product_id
                form.lines[0].form.quantity.data = 1
    _choices(form, customer)
    if request.method == "POST" and (request.form.get("more") or request.form.get("add_product")):
        _more_lines(form)
        return _form_page(form, customer)
    if form.validate_on_submit():
        lines = read_lines(form)
        if lines is not None:
            chosen_lead = db.session.get(Lead, form.lead_id.data) if form.lead_id.data else None
            quote, revision = rules.new_quote(customer, current_user.id, lead=chosen_lead, inquiry=inquiry)
            _apply_header(revision, form)
            rules.set_lines(revision, lines)
            db.session.commit()
            flash(_("Quote %(number)s saved as a draft. Check it, then send it.", number=quote.number), "success")
            return redirect(url_for("quotes.show", quote_id=quote.id), 303)
    return _form_page(form, customer, status=422 if request.method == "POST" else 200)


@bp.route("/<int:quote_id>/edit", methods=["GET", "POST"])
@require("quotes.edit")
def edit(quote_id):
    quote = get_quote_or_404(quote_id, change=True)
    revision = quote.latest
    if revision.status != "draft":
        if request.method == "POST" and QuoteForm().validate_on_submit():
            # Sent while this person was typing: show them what they typed instead of throwing it away.
            form = QuoteForm()
            _choices(form, quote.customer)
            return _conflict(form, quote_id)
        flash(_("Revision %(n)d was sent, so it cannot change. Make a new revision instead.", n=revision.number),
              "error")
        return redirect(url_for("quotes.show", quote_id=quote.id), 303)
    # On a save, only what was submitted counts: lines missing from the form are not refilled from the draft.
    form = QuoteForm(obj=revision) if request.method == "GET" else QuoteForm()
    if request.method == "GET":
        form.version.data = revision.version
        form.lead_id.data = quote.lead_id or 0
        fill_form_lines(form, revision)
    _choices(form, quote.customer, quote)
    if request.method == "POST" and (request.form.get("more") or request.form.get("add_product")):
        _more_lines(form)
        return _form_page(form, quote.customer, quote, revision)
    if form.validate_on_submit():
        if form.loaded_version() != revision.version:
            return _conflict(form, quote_id)
        lines = read_lines(form)
        if lines is not None:
            try:
                quote.lead_id = form.lead_id.data or None
                _apply_header(revision, form)
                rules.set_lines(revision, lines)
                db.session.commit()
            except StaleDataError:
                # Saved by someone else between our check and our write: the same answer as above.
                return _conflict(form, quote_id)
            flash(_("Draft saved."), "success")
            return redirect(url_for("quotes.show", quote_id=quote.id), 303)
    return _form_page(form, quote.customer, quote, revision, status=422 if request.method == "POST" else 200)


@bp.route("/<int:quote_id>")
@bp.route("/<int:quote_id>/r/<int:number>")
@require("quotes.view")
def show(quote_id, number=None):
    # The quote with its customer and lead, its revisions, and their lines with their products: three statements
    # whatever the number of lines.
    quote = get_quote_or_404(quote_id, options=[
        joinedload(Quote.customer), joinedload(Quote.lead),
        selectinload(Quote.revisions).selectinload(QuoteRevision.lines).joinedload(QuoteLine.product)])
    return _show(quote, get_revision_or_404(quote, number) if number else quote.latest)


def _show(quote, revision, added=None):
    previous = next((r for r in quote.revisions if r.number == revision.number - 1), None)
    may_edit = records.may_change(current_user, quote)
    # On a draft its maker may still add what customers bought with these products.
    suggestions = rules.suggestions(quote.customer_id, [l.product_id for l in revision.lines if l.product_id]) \
        if may_edit and revision.status == "draft" and revision is quote.latest else []
    from sales.documents.rules import for_quote
    from sales.documents.views import Section

    return render_page(None, "quotes/_show.html", inline_document_css=True,    # the page shows the quotation itself
                       docs=Section(quote, heading=_("Attachments"),
                                    empty=_("No signed order, plan or supplier's offer attached.")),
                       product_documents=for_quote(revision), title=f"{quote.number} · {quote.customer.name}", quote=quote,
                       suggestions=suggestions, added=added,
                       revision=revision, doc_status=status_of(revision),
                       changes=rules.changes(previous, revision) if previous else None, previous=previous,
                       # The customer's link is handed out only by whoever may change the quote (H3).
                       link=url_for("quotes.public_quote", token=revision.token, _external=True)
                       if revision.token and may_edit else None, action_form=EmptyForm(), may_edit=may_edit)


@bp.route("/<int:quote_id>/lines", methods=["POST"])
@require("quotes.edit")
def add_suggested(quote_id):
    """Add a suggested product ("bought together") to the draft with one tap: a plain POST, back to the quote;
    for htmx the quote page swapped in place."""
    quote = get_quote_or_404(quote_id, change=True)
    product = db.session.get(Product, request.form.get("product_id", type=record_id) or 0)
    if not EmptyForm().validate_on_submit() or product is None or not product.active:
        abort(400)
    revision = quote.latest
    if revision.status != "draft":
        flash(_("Revision %(n)d was sent, so it cannot change. Make a new revision instead.", n=revision.number),
              "error")
    else:
        rules.add_product(revision, product)
        db.session.commit()
        if wants_fragment():
            # Swapped in place: the page itself says what was added, where the tap was (no flash left over).
            return _show(quote, quote.latest, added=product)
        flash(_("%(name)s added to the draft.", name=product.name), "success")
    if wants_fragment():
        return _show(quote, quote.latest)
    return redirect(url_for("quotes.show", quote_id=quote.id), 303)


@bp.route("/<int:quote_id>/send", methods=["POST"])
@require("quotes.edit")
def send(quote_id):
    quote = get_quote_or_404(quote_id, change=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    revision = quote.latest
    if revision.status != "draft":
        flash(_("This revision was already sent."), "error")
    elif revision.valid_until < shop_today():
        flash(_("The validity date has passed: edit the draft and set a new one first."), "error")
    else:
        rules.send(revision)
        if quote.lead is not None:
            rules.ensure_lead_in_proposal(quote.lead, current_user.id)
        db.session.commit()
        flash(_("Quote %(number)s (revision %(n)d) is sent and binding. Give the customer the link below.",
                number=quote.number, n=revision.number), "success")
    return redirect(url_for("quotes.show", quote_id=quote.id), 303)


@bp.route("/<int:quote_id>/revise", methods=["POST"])
@require("quotes.edit")
def revise(quote_id):
    quote = get_quote_or_404(quote_id, change=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        revision = rules.revise(quote)
    except rules.NotEditable:
        flash(_("An accepted quote cannot change."), "error")
        return redirect(url_for("quotes.show", quote_id=quote.id), 303)
    db.session.commit()
    flash(_("Revision %(n)d started from the last one. Revision %(prev)d stays as it was sent.",
            n=revision.number, prev=revision.number - 1), "success")
    return redirect(url_for("quotes.edit", quote_id=quote.id), 303)


@bp.route("/orders/")
@require("quotes.view")
def orders():
    statement = select(Order).options(selectinload(Order.customer)).order_by(Order.ordered_on.desc(), Order.id.desc())
    statement = statement.where(records.visible(Order, current_user))
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_page(None, "quotes/_orders.html", title=_("Orders"), page=page)


@bp.route("/orders/<int:order_id>")
@require("quotes.view")
def order(order_id):
    order = records.get_or_404(Order, order_id)
    quote = db.session.scalar(select(Quote).where(Quote.order_id == order.id))
    return render_page(None, "quotes/_order.html", title=order.number, order=order, quote=quote)
