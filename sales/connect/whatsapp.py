"""WhatsApp: click-to-chat links for every phone number, and messages received through the WhatsApp Business
Cloud API filed on the customer's timeline (a new customer with a lead when the number is unknown).

Meta's webhook sends JSON shaped `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {"contacts": [...], "messages": [...]}}]}]}`, signed with the app secret in
X-Hub-Signature-256 (`sha256=` + HMAC-SHA256 of the raw body, hex).
"""
import hashlib
import hmac
import re
from datetime import datetime, timezone

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import or_, select

from extensions import db
from models import ContactLog, Customer, Lead, WhatsAppMessage, utcnow
from sales.languages import shop_language
from sales.texts import N_, stored


def international_digits(number, country_code=None):
    """A phone number as WhatsApp knows it: the country code and the number, digits only ("34600123456").

    "+34 600 123 456" and "0034 600 123 456" keep their own country code; "600 123 456" gets the shop's; a
    national trunk zero ("0612 345 678" in the Netherlands, India, the UK) is dropped. None when too short.
    """
    if not number:
        return None
    country_code = country_code or current_app.config["WHATSAPP_COUNTRY_CODE"]
    text = number.strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    else:
        digits = country_code + digits.lstrip("0")
    return digits if len(digits) >= 8 else None


def chat_link(number):
    """https://wa.me/<digits>: opens a chat with this number in WhatsApp (phone app, desktop app or web)."""
    digits = international_digits(number)
    return f"https://wa.me/{digits}" if digits else None


def signature_is_valid(raw_body: bytes, header: str | None, secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def find_customer_by_whatsapp(wa_id):
    """The customer with this number on file, typed with or without the country code."""
    digits = re.sub(r"\D", "", wa_id or "")
    if len(digits) < 8:
        return None
    national = digits.removeprefix(current_app.config["WHATSAPP_COUNTRY_CODE"])
    # phone_digits holds both numbers' digits as typed; the national part (at least 8 digits) is the key.
    candidates = db.session.scalars(
        select(Customer).where(or_(Customer.phone_digits.like(f"%{digits}%"),
                                   Customer.phone_digits.like(f"%{national}%")))
        .order_by(Customer.archived_at.is_not(None), Customer.id).limit(20)).all()
    for customer in candidates:
        if digits in {international_digits(n) for n in (customer.mobile, customer.phone)}:
            return customer
    return None


def message_text(message) -> tuple[str, str]:
    """(kind, text) of one message: its words, or what it is when there are none (a photo, a place…)."""
    kind = message.get("type") or "unknown"
    part = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return kind, str(part.get("body", ""))
    if kind in ("image", "video", "document", "audio", "sticker"):
        names = {"image": _("Sent a photo"), "video": _("Sent a video"), "document": _("Sent a document"),
                 "audio": _("Sent a voice message"), "sticker": _("Sent a sticker")}
        caption = part.get("caption") or part.get("filename") or ""
        return kind, f"{names[kind]}: {caption}" if caption else names[kind]
    if kind == "location":
        place = " ".join(str(part.get(k)) for k in ("name", "address") if part.get(k))
        where = f"{part.get('latitude')}, {part.get('longitude')}"
        return kind, _("Sent a location: %(place)s", place=(place + " " if place else "") + f"({where})")
    if kind == "button":
        return kind, str(part.get("text", ""))
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return kind, str(reply.get("title", ""))
    if kind == "reaction":
        return kind, _("Reacted %(emoji)s", emoji=part.get("emoji", ""))
    return kind, _("Sent a message WhatsApp does not show here (%(kind)s)", kind=kind)


def _received_at(message):
    try:
        return datetime.fromtimestamp(int(message["timestamp"]), timezone.utc).replace(tzinfo=None)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return utcnow()


def messages_in(payload):
    """(message, profile name) for each message of a webhook payload; delivery statuses are skipped."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                continue
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name")
                     for c in value.get("contacts") or [] if isinstance(c, dict)}
            for message in value.get("messages") or []:
                if isinstance(message, dict) and message.get("id") and message.get("from"):
                    yield message, names.get(message["from"])


def take_in(message, profile_name=None) -> str:
    """File one incoming message; returns where it went: "customer", "lead" or "duplicate"."""
    from sales.leads.rules import refresh_priority
    from sales.leads.stages import ensure_default_stages, first_open_stage, start_in_stage

    wamid = str(message["id"])[:200]
    if db.session.scalar(select(WhatsAppMessage.id).where(WhatsAppMessage.wamid == wamid)):
        return "duplicate"
    number = re.sub(r"\D", "", str(message["from"]))[:40]
    kind, text = message_text(message)
    received_at = _received_at(message)
    record = WhatsAppMessage(wamid=wamid, from_number=number, kind=kind[:20], body=text, received_at=received_at)
    db.session.add(record)
    outcome = "customer"
    customer = find_customer_by_whatsapp(number)
    lead = None
    if customer is None:
        ensure_default_stages()
        stage = first_open_stage()      # before the new rows exist: this query flushes the session
        customer = Customer(name=(profile_name or f"+{number}")[:160], mobile=f"+{number}")
        customer.refresh_phone_digits()
        db.session.add(customer)
        # The title is the staff's to edit, like one typed: written in the shop's language, not stored as a msgid.
        with force_locale(shop_language()):
            title = _("WhatsApp message")[:200]
        lead = Lead(customer=customer, title=title, source="whatsapp",
                    description=text or None)
        start_in_stage(lead, stage, when=received_at)
        db.session.add(lead)
        outcome = "lead"
    else:
        # The customer's open lead, if they have exactly one, is what they are most likely writing about.
        open_leads = db.session.scalars(select(Lead).where(Lead.customer_id == customer.id, Lead.closed_at.is_(None))
                                        .limit(2)).all()
        lead = open_leads[0] if len(open_leads) == 1 else None
    log = ContactLog(customer=customer, lead=lead, user_id=None, channel="whatsapp",
                     happened_at=received_at, goal=stored(N_("They wrote on WhatsApp")), outcome=text)
    db.session.add(log)
    db.session.flush()
    if outcome == "lead":
        refresh_priority(lead)
    record.customer_id, record.contact_log_id, record.lead_id = customer.id, log.id, lead.id if lead else None
    return outcome
