"""Campaign pages: the list, writing one, its audience and preview, sending in batches, letters, results."""
import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from extensions import db
from models import LEAD_SOURCES, Campaign, Product
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.languages import customer_language, enabled_languages, language_name, shop_language
from sales.ids import record_id
from sales.management.segments import all_segments
from sales.messaging import bp, campaigns
from sales.messaging.forms import campaign_form_class
from sales.messaging.portal import unsubscribe_url
from sales.pagination import page_number, paginate
from sales import records
from sales.policy import require


def get_campaign_or_404(campaign_id, change=False):
    """Sellers read every campaign; only who wrote one (or the owner) edits and sends it (M4)."""
    return records.get_or_404(Campaign, campaign_id, change=change)


def _form(campaign=None):
    from sales.leads.forms import SOURCE_NAMES

    main = campaigns.main_language(campaign) if campaign else shop_language()
    make_form = campaign_form_class(main, [code for code in enabled_languages() if code != main])
    form = make_form(obj=campaign) if campaign and request.method == "GET" else make_form()
    form.lead_source.choices = [("", _("Any"))] + [(s, str(SOURCE_NAMES.get(s, s))) for s in LEAD_SOURCES]
    products = db.session.scalars(select(Product).order_by(Product.name)).all()
    form.product_id.choices = [(0, _("Any"))] + [(p.id, p.name) for p in products]
    form.segment_id.choices = [(0, _("None: use the filters below"))] + [(s.id, s.name) for s in all_segments()]
    if campaign is not None and request.method == "GET":
        filters = campaigns.filters_of(campaign)
        form.tag.data, form.city.data = filters.get("tag"), filters.get("city")
        form.lead_source.data, form.product_id.data = filters.get("lead_source", ""), filters.get("product_id", 0)
        form.segment_id.data = filters.get("segment_id", 0)
        for code, subject, body in form.version_fields():
            version = (campaign.versions or {}).get(code, {})
            subject.data, body.data = version.get("subject"), version.get("body")
        form.fallback_language.data = campaigns.fallback_language(campaign)
    elif campaign is None and request.method == "GET":
        form.body.data = _("Hello {name},\n\n…\n\nSee you soon at {shop}!")
        form.fallback_language.data = main
        # Arriving from a segment's page ("Start a campaign"): that segment is the audience.
        form.segment_id.data = request.args.get("segment_id", 0, type=record_id)
    return form


def _apply(campaign, form):
    for name in ("name", "channel", "subject", "body", "follow_days", "fallback_language"):
        value = getattr(form, name).data
        setattr(campaign, name, value.strip() if isinstance(value, str) else value)
    campaign.language = form.main_language
    # Versions in a language the shop no longer offers have no field here: they are kept as they were.
    versions = {code: version for code, version in (campaign.versions or {}).items()
                if code not in form.other_languages}
    for code, subject, body in form.version_fields():
        if subject.data and body.data:
            versions[code] = {"subject": subject.data.strip(), "body": body.data.strip()}
    campaign.versions = versions or None
    filters = {"segment_id": form.segment_id.data, "tag": (form.tag.data or "").strip(),
               "city": (form.city.data or "").strip(), "lead_source": form.lead_source.data,
               "product_id": form.product_id.data}
    campaign.filters = json.dumps({k: v for k, v in filters.items() if v})


@bp.route("/campaigns/")
@require("campaigns.manage")
def campaigns_index():
    statement = select(Campaign).order_by(Campaign.id.desc())
    page = paginate(statement, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_page(None, "messaging/_campaigns.html", title=_("Campaigns"), page=page)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@require("campaigns.manage")
def new_campaign():
    form = _form()
    if form.validate_on_submit():
        campaign = Campaign()
        _apply(campaign, form)
        db.session.add(campaign)
        db.session.commit()
        flash(_("Campaign saved. Check who it reaches and preview it before sending."), "success")
        return redirect(url_for("messaging.campaign", campaign_id=campaign.id), 303)
    return render_page(None, "messaging/_campaign_form.html", title=_("New campaign"), form=form, campaign=None,
                       status=422 if form.errors else 200)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@require("campaigns.manage")
def edit_campaign(campaign_id):
    campaign = get_campaign_or_404(campaign_id, change=True)
    if campaign.status != "draft":
        flash(_("This campaign has started; it cannot change."), "error")
        return redirect(url_for("messaging.campaign", campaign_id=campaign.id), 303)
    form = _form(campaign)
    if form.validate_on_submit():
        _apply(campaign, form)
        db.session.commit()
        flash(_("Campaign saved."), "success")
        return redirect(url_for("messaging.campaign", campaign_id=campaign.id), 303)
    return render_page(None, "messaging/_campaign_form.html", title=campaign.name, form=form, campaign=campaign,
                       status=422 if form.errors else 200)


def _campaign_page(campaign, status=200):
    counts = campaigns.audience_counts(campaign) if campaign.status == "draft" else None
    preview_customer = None
    if campaign.status == "draft":
        chosen = request.args.get("preview", type=record_id)
        candidates = campaigns.reachable_customers(campaign, limit=20)
        preview_customer = next((c for c in candidates if c.id == chosen), candidates[0] if candidates else None)
    else:
        candidates = []
    preview, versions = None, []
    if preview_customer is not None:
        preview = _preview(campaign, preview_customer)
        # Every other version too, as a customer of the chosen one would see it, so none goes out unread.
        versions = [dict(version, preview=_preview(campaign, preview_customer, version["language"]))
                    for version in campaigns.audience_by_version(campaign)]
    done, total = campaigns.progress(campaign)
    return render_page(None, "messaging/_campaign.html", title=campaign.name, campaign=campaign, counts=counts,
                       candidates=candidates, preview_customer=preview_customer, preview=preview,
                       versions=versions, done=done,
                       total=total, results=campaigns.results(campaign),
                       audience=campaigns.audience_description(campaigns.filters_of(campaign)),
                       action_form=EmptyForm(), may_change=records.may_change(current_user, campaign),
                       status=status)


def _preview(campaign, customer, language=None):
    reads = language or customer_language(customer)
    language, subject, body = campaigns.version_for(campaign, reads)
    return {"language": language, "language_name": language_name(language),
            "subject": campaigns.fill_placeholders(subject, customer),
            "body": campaigns.fill_placeholders(body, customer),
            "footer": campaigns.unsubscribe_footer("…", reads).strip("\n-")}   # always the reader's language


@bp.route("/campaigns/<int:campaign_id>")
@require("campaigns.manage")
def campaign(campaign_id):
    return _campaign_page(get_campaign_or_404(campaign_id))


@bp.route("/campaigns/<int:campaign_id>/send", methods=["POST"])
@require("campaigns.manage")
def send_campaign(campaign_id):
    """Start the campaign, then one batch per request: htmx asks for the next one until all are done."""
    campaign = get_campaign_or_404(campaign_id, change=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if campaign.status == "draft":
        campaigns.start(campaign)
        campaigns.remember_public_address(request.host_url)
        db.session.commit()
    problem = None
    if campaign.status == "sending":
        if campaign.channel == "letter":
            while campaign.status == "sending":
                campaigns.send_batch(campaign, unsubscribe_url, size=500)
        else:
            result = campaigns.send_batch(campaign, unsubscribe_url)
            problem = result.problem
        db.session.commit()
    if problem:
        flash(_("The mail server is not answering (%(error)s). The emails are kept in the outbox and go out with "
                "the next automatic run.", error=problem), "error")
    return redirect(url_for("messaging.campaign", campaign_id=campaign.id), 303)


@bp.route("/campaigns/<int:campaign_id>/letters")
@require("campaigns.manage")
def campaign_letters(campaign_id):
    campaign = get_campaign_or_404(campaign_id)
    return render_template("messaging/letters.html", campaign=campaign,
                           customers=campaigns.letter_recipients(campaign))
