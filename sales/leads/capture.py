"""Getting leads in and out: the public web form and CSV export (CSV import lives in imports.py)."""
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from extensions import csrf, db
from models import Customer, Lead, LoginAttempt, ShopSetting, utcnow
from sales.accounts.rules import WEB_FORM_KEY
from sales import phones
from sales.clock import shop_date
from sales.csv_export import csv_response
from sales.branches import route
from sales.leads import bp, rules
from sales.leads.forms import WebLeadForm
from sales.languages import read_as
from sales.leads.stages import start_in_stage
from sales.leads.views import _filters
from sales.policy import public, require

WEB_FORM_LIMIT_PER_HOUR = 5
FORM_TOKEN_HOURS = 4          # a form left open longer asks to be sent again (the message is kept)
FRAMING_SITES = "web_form_sites"


def _form_signer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="web-form")


def new_form_token():
    return _form_signer().dumps(secrets.token_hex(8))


def form_token_problem(token):
    """None for a token this shop signed in the last FORM_TOKEN_HOURS; otherwise what to tell the visitor."""
    try:
        _form_signer().loads(token or "", max_age=FORM_TOKEN_HOURS * 3600)
    except SignatureExpired:
        return _("This form was open for a long time. Your message is still here: send it again.")
    except BadSignature:
        return _("This form could not be checked. Your message is still here: send it again.")
    return None


def parse_sites(text):
    """The owner's list of sites that may frame the form, as origins ("https://www.myshop.es"): a page's address
    pasted whole counts for its whole site."""
    sites = []
    for line in (text or "").replace(",", "\n").split():
        parts = urlsplit(line.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or "'" in line \
                or ";" in line:
            raise ValueError(_("%(site)s is not a website address like https://www.myshop.es", site=line))
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        if origin not in sites:
            sites.append(origin)
    return sites


def framing_sites():
    return (ShopSetting.get(FRAMING_SITES) or "").split()


def too_many_web_leads(address):
    """At most a few submissions an hour from one address, counted in the database (no process state).

    The login throttle's table keys attempts by what was tried: an account's email, or here "web-form".
    """
    since = utcnow() - timedelta(hours=1)
    count = db.session.scalar(select(func.count()).select_from(LoginAttempt)
                              .where(LoginAttempt.email == WEB_FORM_KEY, LoginAttempt.address == address,
                                     LoginAttempt.at >= since))
    return count >= WEB_FORM_LIMIT_PER_HOUR


def create_web_lead(form):
    """A New lead with source "web form", for an existing customer (same email/phone) or a new prospect."""
    customer = rules.find_customer_by_contact(form.email.data, form.phone.data)
    if customer is None:
        customer = Customer(name=form.name.data.strip(), email=(form.email.data or "").strip().lower() or None,
                            phone=(form.phone.data or "").strip() or None,
                            postal_code=(form.postal_code.data or "").strip() or None)
        customer.refresh_phone_digits()
        db.session.add(customer)
    lead = Lead(customer=customer, title=form.interest.data.strip(), source="web_form",
                description=(form.message.data or "").strip() or None)
    start_in_stage(lead)
    db.session.add(lead)
    # The owner's branch rules decide where a web lead goes, and to whom (sales/branches.py).
    route(lead)
    db.session.flush()
    rules.refresh_priority(lead)
    return lead


@bp.route("/web-form", methods=["GET", "POST"])
@public
@csrf.exempt   # no session inside another site's frame: the signed form token checks the post instead
def web_form():
    """The stable public URL a shop links to from its website (or embeds in an iframe)."""
    read_as(None)     # nobody known yet: the visitor's browser, else the shop's language
    form = WebLeadForm()
    shop = ShopSetting.get("shop_name", "Mostrador")
    problem = form_token_problem(form.form_token.data) if request.method == "POST" else None

    def page(status, limited=False):
        form.form_token.data = new_form_token()
        return render_template("leads/web_form.html", form=form, shop=shop, limited=limited,
                               problem=problem), status

    if request.method == "POST" and form.validate() and problem is None:
        address = request.remote_addr or "?"
        if form.website.data:
            # A bot filled the hidden field: thank it and keep nothing.
            return redirect(url_for("leads.web_form_thanks"), 303)
        if too_many_web_leads(address):
            return page(429, limited=True)
        db.session.add(LoginAttempt(email=WEB_FORM_KEY, address=address))
        create_web_lead(form)
        db.session.commit()
        return redirect(url_for("leads.web_form_thanks"), 303)
    return page(422 if request.method == "POST" else 200)


@bp.route("/web-form/thanks")
@public
def web_form_thanks():
    read_as(None)
    return render_template("leads/web_form_thanks.html", shop=ShopSetting.get("shop_name", "Mostrador"))


@bp.after_app_request
def allow_embedding_the_web_form(response):
    # The public form may sit in an iframe on the sites the owner lists (Leads → Pipeline settings); nothing else
    # may be framed, and no other site may frame the form.
    if request.endpoint in ("leads.web_form", "leads.web_form_thanks"):
        ancestors = " ".join(["'self'", *framing_sites()])
        response.headers["Content-Security-Policy"] = response.headers.get(
            "Content-Security-Policy", "").replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
        del response.headers["X-Frame-Options"]   # it cannot name several sites; frame-ancestors does
    return response


def _export_table():
    from sales.exports import deal_rows

    statement = rules.lead_statement(current_user, **_filters(), include_closed=True)
    # In the columns the import reads, so the file can come back in (here or in another shop) as it left.
    # Read before streaming: the database session ends with the request, the download may outlive it.
    return deal_rows(statement)


@bp.route("/export.csv")
@require("leads.view")
def export():
    return csv_response("leads.csv", *_export_table())


@bp.route("/export.xlsx")
@require("leads.view")
def export_xlsx():
    from sales.xlsx_export import xlsx_response

    return xlsx_response("leads.xlsx", *_export_table())
