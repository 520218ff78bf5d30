from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models import Customer, User
from sales import bulk
from sales.customers import bp, rules
from sales.customers import bulk as bulk_kind
from sales import custom_fields
from sales.customers.forms import CustomerForm, customer_language_choices
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.languages import customer_language
from sales.pagination import page_number, paginate
from sales.policy import can, require
from sales.timeline import timeline_for


def get_customer_or_404(customer_id, action="customers.view", options=()):
    """The customer, or 404 if there is none; 403 if this user may not do `action` with it."""
    customer = db.session.get(Customer, customer_id, options=options)
    if customer is None:
        abort(404)
    if not can(current_user, action, customer):
        abort(403)
    return customer


def list_statement(args):
    """The list's customers for its search and filters in `args` (all pages), and the filters as read."""
    text = args.get("q", "").strip()
    tag = args.get("tag", "").strip()
    show = args.get("show", "active")
    if show not in rules.SHOW_CHOICES:
        show = "active"
    statement = rules.search_statement(text, tag, show)
    fields = custom_fields.active_fields("customer")
    chosen = next((f for f in fields if f.key == args.get("field")), None)
    value = args.get("value", "").strip()
    if chosen is not None and value:
        condition = custom_fields.condition(Customer, chosen, value)
        statement = statement.where(condition) if condition is not None else statement.where(False)
    return statement, dict(q=text, tag=tag, show=show, custom_fields=fields, field=chosen, value=value)


@bp.route("/")
@require("customers.view")
def index():
    statement, filters = list_statement(request.args)
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    tags = rules.popular_tags(limit=50)   # the bulk bar's 50 and the filter's first 12: read once
    bulk_context = bulk.list_context(bulk_kind.KIND, tags=tags) if can(current_user, "customers.edit") else {}
    return render_page("customers/index.html", "customers/_results.html", page=page, tags=tags[:12],
                       **filters, **bulk_context)


bulk.add_routes(bp, bulk_kind.KIND)


def _customer_form(customer=None):
    # On a save only what was sent counts: a field left out is empty, never refilled from the record (its
    # tags are a list there, not the text the box holds).
    form = CustomerForm(obj=customer) if customer and request.method == "GET" else CustomerForm()
    form.owner_id.choices = rules.staff_choices(current_user, customer)
    form.language.choices = customer_language_choices(customer.language if customer else None)
    if request.method == "GET":
        if customer:
            form.version.data = customer.version
            form.tags.data = ", ".join(customer.tag_names)
            form.owner_id.data = customer.owner_id or 0
            form.language.data = customer.language or ""
        else:
            form.owner_id.data = current_user.id if current_user.role in ("owner", "seller") else 0
    return form


@bp.route("/new", methods=["GET", "POST"])
@require("customers.edit")
def new():
    form = _customer_form()
    fields = custom_fields.active_fields("customer")
    custom, custom_errors = custom_fields.read_form(fields, request.form) if request.method == "POST" else ({}, {})
    if form.validate_on_submit() and not custom_errors:
        customer = Customer()
        rules.apply_values(customer, rules.form_values(form))
        customer.custom = custom or None
        db.session.add(customer)
        db.session.commit()
        flash(_("Customer %(name)s is saved.", name=customer.name), "success")
        return redirect(url_for("customers.show", customer_id=customer.id), 303)
    return render_page("customers/form.html", "customers/_form.html", form=form, customer=None,
                       custom_fields=fields, custom=custom, custom_errors=custom_errors,
                       status=422 if form.errors or custom_errors else 200)


@bp.route("/<int:customer_id>")
@require("customers.view")
def show(customer_id):
    customer = get_customer_or_404(customer_id, options=[joinedload(Customer.owner),   # named on the page,
                                                         joinedload(Customer.tags)])   # listed on it
    from sales.documents.views import Section

    return render_page("customers/show.html", "customers/_detail.html", customer=customer,
                       docs=Section(customer, empty=_("No signed orders, plans or other files on this customer.")),
                       timeline=timeline_for(customer, current_user),
                       custom_fields=custom_fields.active_fields("customer"), action_form=EmptyForm(),
                       writes_in=customer_language(customer))


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@require("customers.edit")
def edit(customer_id):
    customer = get_customer_or_404(customer_id, "customers.edit")
    form = _customer_form(customer)
    conflict = None
    fields = custom_fields.active_fields("customer")
    custom, custom_errors = (custom_fields.read_form(fields, request.form, customer.custom)
                             if request.method == "POST" else (dict(customer.custom or {}), {}))
    if form.validate_on_submit() and not custom_errors:
        values = rules.form_values(form)
        if form.loaded_version() != customer.version:
            conflict = rules.conflicting_fields(customer, values)
        else:
            rules.apply_values(customer, values)
            customer.custom = custom or None
            try:
                db.session.commit()
            except StaleDataError:
                # Someone saved between our check and our write: same answer as above.
                db.session.rollback()
                customer = get_customer_or_404(customer_id, "customers.edit")
                conflict = rules.conflicting_fields(customer, values)
            else:
                flash(_("Changes to %(name)s are saved.", name=customer.name), "success")
                return redirect(url_for("customers.show", customer_id=customer.id), 303)
        if conflict is not None:
            # Keep what this person typed; saving again now deliberately replaces the other version.
            form.version.data = customer.version
    status = 409 if conflict is not None else 422 if form.errors or custom_errors else 200
    user_names = {u.id: u.name for u in db.session.query(User.id, User.name)}
    return render_page("customers/form.html", "customers/_form.html", form=form, customer=customer,
                       conflict=conflict, user_names=user_names, custom_fields=fields, custom=custom,
                       custom_errors=custom_errors, status=status)


def _set_archived(customer_id, archived):
    customer = get_customer_or_404(customer_id, "customers.archive")
    if not EmptyForm().validate_on_submit():
        abort(400)
    if archived:
        rules.archive(customer)
        message = _("%(name)s is archived. It no longer shows in the list; you can restore it any time.",
                    name=customer.name)
    else:
        rules.restore(customer)
        message = _("%(name)s is restored.", name=customer.name)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("customers.show", customer_id=customer.id), 303)


@bp.route("/<int:customer_id>/archive", methods=["POST"])
@require("customers.archive")
def archive(customer_id):
    return _set_archived(customer_id, True)


@bp.route("/<int:customer_id>/restore", methods=["POST"])
@require("customers.archive")
def restore(customer_id):
    return _set_archived(customer_id, False)
