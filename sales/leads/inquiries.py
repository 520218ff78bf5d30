"""Customer inquiries: is it available, what does it cost, when can it be delivered — open until answered."""
from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Customer, Inquiry, Product, utcnow
from sales import idempotency, records
from sales.htmx import render_page
from sales.leads import bp
from sales.leads.forms import AnswerForm, InquiryForm
from sales.pagination import page_number, paginate
from sales.policy import require


def get_inquiry_or_404(inquiry_id, change=False):
    return records.get_or_404(Inquiry, inquiry_id, change=change)


def _product_choices():
    products = db.session.scalars(select(Product).where(Product.active).order_by(Product.name)).all()
    return [(0, _("— not about one product —"))] + [(p.id, str(p)) for p in products]


@bp.route("/inquiries/")
@require("inquiries.work")
def inquiries():
    show = request.args.get("show", "open")
    statement = (select(Inquiry).options(selectinload(Inquiry.customer), selectinload(Inquiry.product))
                 .where(records.visible(Inquiry, current_user)))
    if show == "open":
        statement = statement.where(Inquiry.answered_at.is_(None)).order_by(Inquiry.created_at, Inquiry.id)
    else:
        statement = statement.order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_page("leads/inquiries.html", "leads/_inquiry_list.html", page=page, show=show)


@bp.route("/inquiries/new/<int:customer_id>", methods=["GET", "POST"])
@require("inquiries.work")
def new_inquiry(customer_id):
    # Anyone on the staff takes down a customer's question (as they log a contact); it is then theirs to see.
    customer = records.get_or_404(Customer, customer_id)
    form = InquiryForm()
    form.product_id.choices = _product_choices()
    if request.method == "GET":
        form.product_id.data = 0
    if form.validate_on_submit():
        inquiry = idempotency.stored_before("inquiry", Inquiry)
        if inquiry is None:
            inquiry = Inquiry(customer=customer, kind=form.kind.data, product_id=form.product_id.data or None,
                              question=form.question.data.strip())
            db.session.add(inquiry)
            db.session.flush()
            inquiry = (idempotency.claim("inquiry", inquiry, Inquiry) or idempotency.commit_once("inquiry", Inquiry)
                       or inquiry)
        flash(_("Inquiry from %(name)s is logged. It stays open until answered.", name=customer.name), "success")
        return redirect(url_for("leads.show_inquiry", inquiry_id=inquiry.id), 303)
    return render_page("leads/inquiry_form.html", "leads/_inquiry_form.html", form=form, customer=customer,
                       status=422 if form.errors else 200)


@bp.route("/inquiries/<int:inquiry_id>", methods=["GET", "POST"])
@require("inquiries.work")
def show_inquiry(inquiry_id):
    inquiry = get_inquiry_or_404(inquiry_id, change=request.method == "POST")
    form = AnswerForm(obj=inquiry)
    if form.validate_on_submit():
        if not inquiry.is_open:
            flash(_("This inquiry was already answered by %(name)s.",
                    name=inquiry.answered_by.name if inquiry.answered_by else "?"), "error")
            return redirect(url_for("leads.show_inquiry", inquiry_id=inquiry.id), 303)
        inquiry.answer = form.answer.data.strip()
        inquiry.answered_at = utcnow()
        inquiry.answered_by_id = current_user.id
        db.session.commit()
        flash(_("The answer is saved and the inquiry is closed."), "success")
        return redirect(url_for("leads.show_inquiry", inquiry_id=inquiry.id), 303)
    return render_page("leads/inquiry.html", "leads/_inquiry.html", inquiry=inquiry, form=form,
                       may_answer=records.may_change(current_user, inquiry), status=422 if form.errors else 200)


# Other blueprints offer next steps for an inquiry, open or answered (e.g. "Make a quote"): f(inquiry) -> [Link].
INQUIRY_ACTIONS = []


def inquiry_actions(inquiry):
    links = []
    for action in INQUIRY_ACTIONS:
        links.extend(action(inquiry))
    return links


@bp.record_once
def _register_actions_global(state):
    state.app.jinja_env.globals["inquiry_actions"] = inquiry_actions
