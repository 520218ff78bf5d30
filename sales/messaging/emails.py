"""The emails the shop sends from a record: a quote, a ticket reply, a survey invitation, a set-password link.

Each builder queues one message in the outbox and returns it; the caller decides when to try sending.
Links are absolute, built for the address the staff member is using now (the shop's own address).
Each is written in its reader's language (`written_to`): the customer's, else the shop's, whatever the language of
the staff member who sends it.
"""
import hashlib
import hmac
import re
from functools import wraps

from flask import current_app, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from models import ShopSetting
from sales.languages import writing_to
from sales.messaging.outbox import enqueue


class NoAddress(Exception):
    """The customer has no email address to send to."""


def shop_name():
    return ShopSetting.get("shop_name", current_app.config["SHOP_NAME"])


def _address(customer):
    if not customer.email:
        raise NoAddress(customer)
    return customer.email


def written_to(reader_of):
    """Build the email in its reader's language (sales/languages.py): its words, dates and amounts.
    `reader_of` takes the builder's first argument (a revision, a ticket…) and gives whom it is for."""
    def decorate(builder):
        @wraps(builder)
        def build(record, *args, **kwargs):
            with writing_to(reader_of(record)):
                return builder(record, *args, **kwargs)
        return build
    return decorate


def _greeting(customer):
    return _("Hello %(name)s,", name=customer.contact_person or customer.name)


def _signature():
    return "\n\n" + _("Kind regards,") + "\n" + shop_name()


def _document_lines(entries, endpoint, token):
    """One line per product document: "E-City bike — Datasheet (Spanish): https://…", opened by the customer's
    own link (sales/documents/public.py)."""
    from sales.documents.rules import KIND_NAMES, language_name

    lines = []
    for product, documents in entries:
        for document in documents:
            what = str(KIND_NAMES[document.kind]) + (f" ({language_name(document.language)})" if document.language
                                                      else "")
            url = url_for(endpoint, token=token, document_id=document.id, _external=True)
            lines.append(f"{product.name} — {what}: {url}")
    return "\n".join(lines)


@written_to(lambda revision: revision.quote.customer)
def quote_email(revision, user_id=None):
    """The sent revision, with its PDF attached and the link to accept or decline it."""
    from sales.documents.rules import for_quote
    from sales.quotes.documents import revision_pdf

    quote = revision.quote
    customer = quote.customer
    link = url_for("quotes.public_quote", token=revision.token, _external=True)
    parts = [
        _greeting(customer),
        _("Here is our quotation %(number)s (attached as a PDF). It is valid until %(date)s.",
          number=quote.number, date=format_date(revision.valid_until)),
        _("You can read it, accept it or decline it here:") + "\n" + link,
    ]
    entries = for_quote(revision)
    attached = _attached_documents(entries) if ShopSetting.get("quote_datasheets") == "attach" else []
    sheets = _document_lines(entries, "documents.for_quote", revision.token)
    if sheets:
        parts.append((_("The datasheets of the products (attached too):") if attached
                      else _("The datasheets of the products:")) + "\n" + sheets)
    body = "\n\n".join(parts) + _signature()
    pdf = ("%s-r%d.pdf" % (quote.number, revision.number), "application/pdf", revision_pdf(quote, revision))
    return enqueue(_address(customer), _("Quotation %(number)s from %(shop)s", number=quote.number, shop=shop_name()),
                   body, customer_id=customer.id, about="quote", about_id=quote.id, attachments=[pdf] + attached,
                   created_by_id=user_id)


# Attached files beyond this many bytes stay links: many mail servers refuse messages much above 10 MB.
MAX_ATTACHED_BYTES = 8 * 1024 * 1024


def _attached_documents(entries):
    """[(file name, type, bytes)] of the documents' files, while they fit MAX_ATTACHED_BYTES together."""
    from sales import storage

    attached, total = [], 0
    for _product, documents in entries:
        for document in documents:
            if not document.is_file or total + document.size > MAX_ATTACHED_BYTES:
                continue
            name = " ".join(re.sub(r"[^\w\-. ]+", " ", document.title).split())[:80] or "document"
            attached.append((f"{name}.{storage.EXTENSIONS[document.content_type]}", document.content_type,
                             storage.files().read(document.stored_name)))
            total += document.size
    return attached


# --- Ticket replies: a tag in the subject brings the customer's answer back to the ticket ------------------

TICKET_TAG = re.compile(r"\[(T-\d{5,}):([0-9a-f]{12})\]")


def _ticket_signature(ticket_id):
    return hmac.new(current_app.config["SECRET_KEY"].encode(), f"ticket:{ticket_id}".encode(),
                    hashlib.sha256).hexdigest()[:12]


def ticket_tag(ticket):
    """[T-00012:3f9a…]: the ticket number with a keyed signature, so a forged subject cannot reach a ticket."""
    return f"[{ticket.number}:{_ticket_signature(ticket.id)}]"


def ticket_from_subject(subject):
    """The ticket id a reply's subject names, if its signature is right; None otherwise."""
    match = TICKET_TAG.search(subject or "")
    if not match:
        return None
    ticket_id = int(match.group(1)[2:])
    return ticket_id if hmac.compare_digest(_ticket_signature(ticket_id), match.group(2)) else None


@written_to(lambda ticket: ticket.customer)
def ticket_email(ticket, message=None, user_id=None):
    """The latest reply to the customer (or just the news that the ticket is open), with its link."""
    customer = ticket.customer
    link = url_for("support.customer_ticket", token=ticket.public_token, _external=True)
    parts = [_greeting(customer)]
    if message is not None:
        parts.append(_("We have news about your ticket “%(title)s”:", title=ticket.title))
        parts.append(message.body)
    else:
        parts.append(_("Your ticket “%(title)s” is registered with number %(number)s.",
                       title=ticket.title, number=ticket.number))
    parts.append(_("Follow it and write to us here:") + "\n" + link)
    parts.append(_("You can also simply reply to this email; keep the reference in the subject."))
    subject = _("Your ticket %(number)s", number=ticket.number) + " " + ticket_tag(ticket)
    return enqueue(_address(customer), subject, "\n\n".join(parts) + _signature(), customer_id=customer.id,
                   about="ticket", about_id=ticket.id, created_by_id=user_id)


@written_to(lambda ticket: ticket.customer)
def maintenance_email(ticket, user_id=None):
    """The customer's reminder that a scheduled service is due, with the product's care instructions: a written
    page in full, a file as a link their ticket's link opens (sales/documents/public.py)."""
    from sales.documents.rules import care_of

    customer = ticket.customer
    line = ticket.order_line
    what = line.description if line else ticket.title
    parts = [_greeting(customer),
             _("It is time for the scheduled maintenance of your %(what)s. We will be in touch to arrange it; you "
               "can also write to us here:", what=what) + "\n" + url_for("support.customer_ticket",
                                                                            token=ticket.public_token, _external=True)]
    for document in care_of(line.product_id) if line and line.product_id else []:
        if document.is_file:
            parts.append(document.title + ":\n" + url_for("documents.for_ticket", token=ticket.public_token,
                                                           document_id=document.id, _external=True))
        else:
            parts.append(document.title + "\n\n" + "\n\n".join(document.paragraphs))
    subject = _("Time for the maintenance of your %(what)s", what=what) + " " + ticket_tag(ticket)
    return enqueue(_address(customer), subject, "\n\n".join(parts) + _signature(), customer_id=customer.id,
                   about="ticket", about_id=ticket.id, created_by_id=user_id)


@written_to(lambda survey: survey.customer)
def survey_email(survey, user_id=None):
    customer = survey.customer
    link = url_for("support.survey", token=survey.token, _external=True)
    body = "\n\n".join((
        _greeting(customer),
        _("Would you tell us how we did? It takes one minute:") + "\n" + link,
    )) + _signature()
    return enqueue(_address(customer), _("How did we do? %(shop)s", shop=shop_name()), body,
                   customer_id=customer.id, about="survey", about_id=survey.id, created_by_id=user_id)


@written_to(lambda user: user)      # a new colleague: their profile's language, else the shop's
def password_email(user, link, by_user_id=None):
    hours = current_app.config["SET_PASSWORD_LINK_HOURS"]
    body = "\n\n".join((
        _("Hello %(name)s,", name=user.name),
        _("Choose your password for %(shop)s with this link. It works once, for %(hours)d hours:",
          shop=shop_name(), hours=hours) + "\n" + link,
    )) + _signature()
    return enqueue(user.email, _("Your access to %(shop)s", shop=shop_name()), body, about="password",
                   about_id=user.id, created_by_id=by_user_id)


@written_to(lambda customer: customer)
def portal_email(customer, link, user_id=None):
    body = "\n\n".join((
        _greeting(customer),
        _("Everything you have with us in one place (quotations, orders, tickets and surveys):") + "\n" + link,
        _("Keep this link to yourself: whoever has it can see your page."),
    )) + _signature()
    return enqueue(_address(customer), _("Your page at %(shop)s", shop=shop_name()), body,
                   customer_id=customer.id, about="portal", about_id=customer.id, created_by_id=user_id)


def test_email(user):
    body = _("This is a test from %(shop)s: the mail server settings work.", shop=shop_name()) + _signature()
    return enqueue(user.email, _("Test email from %(shop)s", shop=shop_name()), body, about="test", about_id=user.id,
                   created_by_id=user.id)
