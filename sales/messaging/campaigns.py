"""Mailing campaigns: who they reach (with consent), the message with placeholders, batches, and results."""
import json
from datetime import timedelta
from typing import Mapping, Optional

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, func, select

from extensions import db
from models import (Campaign, CampaignRecipient, Customer, Lead, Order, OrderLine, OutgoingEmail, Product, Segment,
                    ShopSetting, Tag, customer_tags, utcnow)
from sales.clock import shop_date
from sales.management.segments import customers_in
from sales.messaging.outbox import deliver, enqueue

BATCH_SIZE = 25


def campaign_audience(filters: Mapping):
    """A select of the ids of active customers matching `filters`: segment_id (a saved segment, read as it
    stands when the audience is counted or the sending starts), tag, city, lead_source, product_id.

    Empty filters match every active customer; a segment that was deleted since matches nobody, never everyone.
    """
    statement = select(Customer.id).where(Customer.archived_at.is_(None))
    if filters.get("segment_id"):
        segment = db.session.get(Segment, int(filters["segment_id"]))
        if segment is None:
            return statement.where(false())
        statement = statement.where(Customer.id.in_(customers_in(segment)))
    if filters.get("tag"):
        statement = statement.where(exists().where(customer_tags.c.customer_id == Customer.id,
                                                   customer_tags.c.tag_id == Tag.id,
                                                   func.lower(Tag.name) == filters["tag"].strip().lower()))
    if filters.get("city"):
        statement = statement.where(func.lower(Customer.city) == filters["city"].strip().lower())
    if filters.get("lead_source"):
        statement = statement.where(exists().where(Lead.customer_id == Customer.id,
                                                   Lead.source == filters["lead_source"]))
    if filters.get("product_id"):
        statement = statement.where(exists().where(Order.customer_id == Customer.id,
                                                   OrderLine.order_id == Order.id,
                                                   OrderLine.product_id == int(filters["product_id"])))
    return statement


def filters_of(campaign: Campaign) -> dict:
    try:
        return json.loads(campaign.filters or "{}")
    except ValueError:
        return {}


def audience_description(filters: Mapping) -> list:
    """The filters in words, for the campaign page: [("segment", "VIP of the north"), ("city", "Madrid")…]."""
    from sales.leads.forms import SOURCE_NAMES

    described = []
    for key, value in filters.items():
        if key == "segment_id":
            segment = db.session.get(Segment, int(value))
            described.append((_("segment"), segment.name if segment else _("(deleted: reaches nobody)")))
        elif key == "product_id":
            product = db.session.get(Product, int(value))
            described.append((_("bought"), product.name if product else "—"))
        elif key == "lead_source":
            described.append((_("lead source"), str(SOURCE_NAMES.get(value, value))))
        elif key in ("tag", "city"):
            described.append((_("tag") if key == "tag" else _("city"), value))
    return described


def _reachable(channel):
    """Who may receive a campaign on this channel: consent for email, an address for letters."""
    not_unsubscribed = Customer.unsubscribed_at.is_(None)
    if channel == "email":
        return and_(Customer.email_opt_in, not_unsubscribed, Customer.email.is_not(None), Customer.email != "")
    return and_(not_unsubscribed, Customer.street.is_not(None), Customer.city.is_not(None))


def audience_counts(campaign: Campaign) -> dict:
    """How many match the filter, and why some of them will not receive it (the page says so)."""
    ids = campaign_audience(filters_of(campaign)).subquery()
    row = db.session.execute(
        select(func.count(),
               func.count().filter(Customer.unsubscribed_at.is_not(None)),
               func.count().filter(Customer.unsubscribed_at.is_(None), ~Customer.email_opt_in),
               func.count().filter(_reachable(campaign.channel)))
        .select_from(Customer).where(Customer.id.in_(select(ids.c.id)))).one()
    matched, unsubscribed, no_consent, reachable = row
    counts = {"matched": matched, "unsubscribed": unsubscribed, "reachable": reachable,
              "no_consent": no_consent if campaign.channel == "email" else 0}
    counts["no_address"] = matched - reachable - unsubscribed - counts["no_consent"]
    return counts


def reachable_customers(campaign: Campaign, limit: Optional[int] = None):
    statement = (select(Customer).where(Customer.id.in_(campaign_audience(filters_of(campaign))),
                                        _reachable(campaign.channel)).order_by(Customer.name, Customer.id))
    return db.session.scalars(statement.limit(limit) if limit else statement).all()


def fill_placeholders(text: str, customer: Customer) -> str:
    # Plain replacement, not str.format: a brace typed in the message cannot break or leak anything.
    shop = ShopSetting.get("shop_name", current_app.config["SHOP_NAME"])
    return text.replace("{name}", customer.contact_person or customer.name).replace("{shop}", shop)


def start(campaign: Campaign) -> int:
    """Fix the recipients (the audience as it is now, consent checked) and mark the campaign as sending."""
    if campaign.status not in (None, "draft"):      # None: a new campaign not flushed yet
        return len(campaign.recipients)
    ids = [c.id for c in reachable_customers(campaign)]
    db.session.add_all(CampaignRecipient(campaign=campaign, customer_id=i) for i in ids)
    campaign.status, campaign.started_at = "sending", utcnow()
    if not ids:
        campaign.status, campaign.finished_at = "done", utcnow()
    return len(ids)


def send_batch(campaign: Campaign, unsubscribe_url, size: int = BATCH_SIZE):
    """Queue and send the next `size` emails (letters: mark them as printed). Returns the delivery result."""
    pending = db.session.scalars(
        select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.id, ~CampaignRecipient.done)
        .order_by(CampaignRecipient.id).limit(size)).all()
    queued = []
    customers = {c.id: c for c in db.session.scalars(
        select(Customer).where(Customer.id.in_([r.customer_id for r in pending])))} if pending else {}
    for recipient in pending:
        customer = customers[recipient.customer_id]
        recipient.done = True
        # Consent is checked again at the moment of sending: someone may have unsubscribed meanwhile.
        if campaign.channel != "email" or customer.unsubscribed_at or not customer.email_opt_in:
            continue
        link = unsubscribe_url(customer)
        body = fill_placeholders(campaign.body, customer) + "\n\n--\n" + \
            _("You receive this because you agreed to hear from us. Unsubscribe: %(link)s", link=link)
        email = enqueue(customer.email, fill_placeholders(campaign.subject, customer), body,
                        customer_id=customer.id, about="campaign", about_id=campaign.id, campaign_id=campaign.id,
                        headers={"List-Unsubscribe": f"<{link}>",
                                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        recipient.email_id = email.id
        queued.append(email)
    result = deliver(queued)
    remaining = db.session.scalar(select(func.count()).select_from(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id, ~CampaignRecipient.done))
    if not remaining:
        campaign.status, campaign.finished_at = "done", utcnow()
    return result


def remember_public_address(base_url: str):
    """The address staff reach Mostrador at, kept when a campaign starts: the cron job that finishes a
    campaign nobody is watching builds the unsubscribe links with it."""
    ShopSetting.put("public_base_url", base_url)


def continue_campaigns(unsubscribe_url, limit: int) -> int:
    """Send up to `limit` more emails of the campaigns still sending (their page was closed mid-way).
    Stops at the first mail server problem: the emails stay queued. Returns how many recipients were done."""
    done = 0
    for campaign in db.session.scalars(select(Campaign).where(Campaign.status == "sending")
                                       .order_by(Campaign.id)).all():
        while campaign.status == "sending" and done < limit:
            before = progress(campaign)[0]
            result = send_batch(campaign, unsubscribe_url, size=min(BATCH_SIZE, limit - done))
            db.session.commit()
            done += progress(campaign)[0] - before
            if not result.ok:
                return done
    return done


def progress(campaign: Campaign) -> tuple[int, int]:
    done, total = db.session.execute(
        select(func.count().filter(CampaignRecipient.done), func.count())
        .where(CampaignRecipient.campaign_id == campaign.id)).one()
    return done, total


def results(campaign: Campaign) -> dict:
    """Sent, bounced (refused by the server), still queued; leads opened and sales made by recipients within
    the campaign's follow-up days after it started."""
    by_status = dict(db.session.execute(select(OutgoingEmail.status, func.count())
                                        .where(OutgoingEmail.campaign_id == campaign.id)
                                        .group_by(OutgoingEmail.status)).all())
    out = {"sent": by_status.get("sent", 0), "bounced": by_status.get("failed", 0),
           "queued": by_status.get("queued", 0), "leads": 0, "sales": 0, "sales_total": 0}
    done, total = progress(campaign)
    out["recipients"] = total
    if campaign.started_at is None:
        return out
    start_at, end_at = campaign.started_at, campaign.started_at + timedelta(days=campaign.follow_days)
    recipients = select(CampaignRecipient.customer_id).where(CampaignRecipient.campaign_id == campaign.id)
    out["leads"] = db.session.scalar(select(func.count()).select_from(Lead).where(
        Lead.customer_id.in_(recipients), Lead.created_at >= start_at, Lead.created_at < end_at))
    sales, amount = db.session.execute(select(func.count(), func.coalesce(func.sum(Order.total), 0)).where(
        Order.customer_id.in_(recipients), Order.ordered_on >= shop_date(start_at),
        Order.ordered_on <= shop_date(end_at))).one()
    out["sales"], out["sales_total"] = sales, amount
    return out


def letter_recipients(campaign: Campaign):
    """The printable list: every recipient's name and postal address."""
    return db.session.scalars(select(Customer).join(CampaignRecipient, CampaignRecipient.customer_id == Customer.id)
                              .where(CampaignRecipient.campaign_id == campaign.id)
                              .order_by(Customer.postal_code, Customer.name)).all()
