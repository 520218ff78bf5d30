"""Mailing campaigns: who they reach (with consent), the message with placeholders, batches, and results."""
import json
from datetime import timedelta
from typing import Mapping, Optional

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, func, select, update

from extensions import db
from models import (Campaign, CampaignRecipient, Customer, Lead, Order, OrderLine, OutgoingEmail, Product, Segment,
                    ShopSetting, Tag, customer_tags, utcnow)
from sales.clock import shop_date
from sales.money import totals_by_currency
from sales.management.segments import customers_in
from sales.claims import claim
from sales.languages import customer_language, enabled_languages, language_name, shop_language
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


def main_language(campaign: Campaign) -> str:
    return campaign.language or shop_language()


def written_languages(campaign: Campaign) -> list[str]:
    """The languages the message is written in, the main one first, then the others as pickers list them."""
    main = main_language(campaign)
    others = [code for code in enabled_languages() if code != main and code in (campaign.versions or {})]
    return [main] + others


def fallback_language(campaign: Campaign) -> str:
    """The version for recipients whose language has none: the owner's choice while it is written, else the
    main one."""
    chosen = campaign.fallback_language
    return chosen if chosen in written_languages(campaign) else main_language(campaign)


def version_for(campaign: Campaign, language: str) -> tuple[str, str, str]:
    """(the version's language, its subject, its body) for a reader of `language`."""
    if language not in written_languages(campaign):
        language = fallback_language(campaign)
    if language == main_language(campaign):
        return language, campaign.subject, campaign.body
    version = campaign.versions[language]
    return language, version["subject"], version["body"]


def unsubscribe_footer(link: str, language: str) -> str:
    with force_locale(language):
        return "\n\n--\n" + _("You receive this because you agreed to hear from us. Unsubscribe: %(link)s",
                                 link=link)


def audience_by_version(campaign: Campaign) -> list[dict]:
    """Who gets which version: [{"language": "de", "name": "Deutsch", "count": 12, "from": {"hi": 3}}…], one
    per written version, in order; `from` counts the readers of other languages who get it as the fallback."""
    offered, shop = enabled_languages(), shop_language()
    rows = db.session.execute(
        select(Customer.language, func.count()).where(Customer.id.in_(campaign_audience(filters_of(campaign))),
                                                      _reachable(campaign.channel))
        .group_by(Customer.language)).all()
    versions = {code: {"language": code, "name": language_name(code), "count": 0, "from": {}}
                for code in written_languages(campaign)}
    for code, count in rows:
        reader = customer_language(Customer(language=code), offered, shop)
        version = versions[version_for(campaign, reader)[0]]
        version["count"] += count
        if reader != version["language"]:
            version["from"][language_name(reader)] = version["from"].get(language_name(reader), 0) + count
    return list(versions.values())


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
    """Queue the next `size` recipients' emails (letters: mark them as printed), then send those emails.

    Recipients are claimed (sales/claims.py) and their emails queued in one transaction: a recipient is done
    exactly when its email is in the outbox, so a run killed here leaves either both or neither, and two runs at
    once take different recipients. The outbox then sends each email exactly once. Returns the delivery result.
    """
    queued = queue_batch(campaign, unsubscribe_url, size)
    result = deliver(queued)
    remaining = db.session.scalar(select(func.count()).select_from(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id, ~CampaignRecipient.done))
    if not remaining:
        # Two runs may finish the same campaign at once: the first one's mark stands, the second changes nothing.
        db.session.execute(update(Campaign).where(Campaign.id == campaign.id, Campaign.status == "sending")
                           .values(status="done", finished_at=utcnow())
                           .execution_options(synchronize_session=False))
        db.session.commit()
    return result


def queue_batch(campaign: Campaign, unsubscribe_url, size: int = BATCH_SIZE) -> list[OutgoingEmail]:
    """Claim up to `size` pending recipients and put their emails in the outbox; committed."""
    ids = claim(CampaignRecipient, and_(CampaignRecipient.campaign_id == campaign.id, ~CampaignRecipient.done),
                (CampaignRecipient.id,), values={"done": True}, limit=size)
    recipients = db.session.scalars(select(CampaignRecipient).where(CampaignRecipient.id.in_(ids))
                                    .order_by(CampaignRecipient.id)).all() if ids else []
    customers = {c.id: c for c in db.session.scalars(
        select(Customer).where(Customer.id.in_([r.customer_id for r in recipients])))} if recipients else {}
    queued = []
    offered, shop = enabled_languages(), shop_language()
    for recipient in recipients:
        customer = customers[recipient.customer_id]
        # Consent is checked again at the moment of sending: someone may have unsubscribed meanwhile.
        if campaign.channel != "email" or customer.unsubscribed_at or not customer.email_opt_in:
            continue
        link = unsubscribe_url(customer)
        reads = customer_language(customer, offered, shop)
        _version, subject, body = version_for(campaign, reads)
        # The footer is the shop's own words, so it is always in the reader's language: whoever gets another
        # language's version still understands how to stop the mailings.
        body = fill_placeholders(body, customer) + unsubscribe_footer(link, reads)
        email = enqueue(customer.email, fill_placeholders(subject, customer), body,
                        customer_id=customer.id, about="campaign", about_id=campaign.id, campaign_id=campaign.id,
                        headers={"List-Unsubscribe": f"<{link}>",
                                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        recipient.email_id = email.id
        queued.append(email)
    db.session.commit()
    return queued


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
           "queued": by_status.get("queued", 0), "leads": 0, "sales": 0, "sales_totals": []}
    done, total = progress(campaign)
    out["recipients"] = total
    if campaign.started_at is None:
        return out
    start_at, end_at = campaign.started_at, campaign.started_at + timedelta(days=campaign.follow_days)
    recipients = select(CampaignRecipient.customer_id).where(CampaignRecipient.campaign_id == campaign.id)
    out["leads"] = db.session.scalar(select(func.count()).select_from(Lead).where(
        Lead.customer_id.in_(recipients), Lead.created_at >= start_at, Lead.created_at < end_at))
    # Orders made in different currencies are not added up together: one total per currency.
    by_currency = db.session.execute(select(Order.currency, func.count(), func.sum(Order.total)).where(
        Order.customer_id.in_(recipients), Order.ordered_on >= shop_date(start_at),
        Order.ordered_on <= shop_date(end_at)).group_by(Order.currency)).all()
    out["sales"] = sum(count for _currency, count, _total in by_currency)
    out["sales_totals"] = totals_by_currency((currency, total) for currency, _count, total in by_currency)
    return out


def letter_recipients(campaign: Campaign):
    """The printable list: every recipient's name and postal address."""
    return db.session.scalars(select(Customer).join(CampaignRecipient, CampaignRecipient.customer_id == Customer.id)
                              .where(CampaignRecipient.campaign_id == campaign.id)
                              .order_by(Customer.postal_code, Customer.name)).all()
