"""What the customer opens without an account: their ticket's link and the satisfaction survey.

Both are found only by a token from secrets.token_urlsafe(32); an unknown token is a plain 404.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from models import Survey, Ticket
from sales.languages import read_as
from sales.policy import public
from sales.support import bp, rules
from sales.support.forms import CustomerReplyForm, SurveyForm


def _ticket_by_token(token):
    ticket = db.session.scalar(select(Ticket).where(Ticket.public_token == token)) if len(token) < 64 else None
    return ticket or abort(404)


def _survey_by_token(token):
    survey = db.session.scalar(select(Survey).where(Survey.token == token)) if len(token) < 64 else None
    return survey or abort(404)


@bp.route("/t/<token>", methods=["GET", "POST"])
@public
def customer_ticket(token):
    ticket = _ticket_by_token(token)
    read_as(ticket.customer)
    form = CustomerReplyForm()
    can_reply = ticket.status != "closed"
    if can_reply and form.validate_on_submit():
        rules.add_message(ticket, form.body.data, public=True, from_customer=True)
        db.session.commit()
        flash(_("Thank you. We have your message and will get back to you."), "success")
        return redirect(url_for("support.customer_ticket", token=token), 303)
    survey = db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id, Survey.answered_at.is_(None)))
    from sales.documents.rules import for_ticket

    return render_template("support/customer_ticket.html", ticket=ticket, messages=rules.public_messages(ticket),
                           form=form, can_reply=can_reply, survey=survey, product_documents=for_ticket(ticket)
                           ), 422 if form.errors else 200


@bp.route("/survey/<token>", methods=["GET", "POST"])
@public
def survey(token):
    survey = _survey_by_token(token)
    read_as(survey.customer)
    form = SurveyForm()
    if survey.answered_at is None and form.validate_on_submit():
        rules.answer_survey(survey, expectation=form.expectation.data, experience=form.experience.data,
                            csat=form.csat.data, nps=form.nps.data, comment=form.comment.data)
        db.session.commit()
        return redirect(url_for("support.survey", token=token), 303)
    return render_template("support/survey.html", survey=survey, form=form), 422 if form.errors else 200


@bp.after_request
def keep_token_pages_private(response):
    # The link is the key: no caching on shared computers, no search engines, no referrer carrying it.
    if request.endpoint in ("support.customer_ticket", "support.survey"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
