"""Documents as plain rules: saving one from an upload or a written page, replacing and removing it, and which
of a product's documents go to the customer with a quote, an order and a ticket."""
from collections import defaultdict
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import PRODUCT_DOCUMENT_KINDS, Document, Order, OrderLine, Quote
from sales import storage

MAX_DOCUMENT_BYTES = 12 * storage.MB
FILE_TYPES = storage.IMAGE_TYPES + (storage.PDF,)

KIND_NAMES = {
    "datasheet": _l("Datasheet"),
    "manual": _l("User manual"),
    "installation": _l("Installation guide"),
    "care": _l("Care and maintenance"),
    "safety": _l("Safety sheet"),
    "signed_order": _l("Signed order"),
    "plan": _l("Plan or drawing"),
    "supplier_offer": _l("Supplier's offer"),
    "photo": _l("Photo"),
    "other": _l("Other document"),
}
# What the customer is given, and when: the datasheet to decide; once bought, how to use it, install it, look
# after it and stay safe (the datasheet stays useful too).
BEFORE_SALE = ("datasheet",)
AFTER_SALE = ("manual", "installation", "care", "safety", "datasheet")
# What an after-sale visit starts from, by the ticket's kind.
FOR_TICKET = {"installation": ("installation", "safety", "manual"), "training": ("manual", "care", "safety"),
              "maintenance": ("care", "manual")}
# Languages a document may be written in (codes, shown in the reader's language by Babel).
LANGUAGES = ("en", "es", "ca", "eu", "gl", "pt", "fr", "de", "it")


def language_name(code):
    """"Spanish" (or "Español", in the reader's language) for "es"."""
    from babel import Locale, UnknownLocaleError
    from flask_babel import get_locale

    try:
        return Locale.parse(code).get_display_name(get_locale()).capitalize()
    except (UnknownLocaleError, ValueError, TypeError):
        return code


class DocumentRefused(ValueError):
    """The upload or page is not kept; the message says why."""


def read_upload(stream, original_name) -> storage.Accepted:
    """A document's file checked by sales/storage.py: a PDF or a picture, at most 12 MB."""
    try:
        return storage.accept(
            stream, original_name, types=FILE_TYPES, max_bytes=MAX_DOCUMENT_BYTES,
            empty=_l("Choose a file, take a photo or write the page."),
            too_large=_l("This file is larger than %(mb)d MB. Make the PDF smaller (or the photo at a lower "
                         "resolution) and try again.", mb=MAX_DOCUMENT_BYTES // storage.MB),
            wrong_type=_l("This file is not a PDF or a picture (whatever its name says). Attach a PDF, JPEG, PNG "
                          "or WebP file."))
    except storage.Refused as refused:
        raise DocumentRefused(refused.args[0]) from None


def default_title(kind, holder, upload: Optional[storage.Accepted]):
    """"User manual — E-City bike" for a product; else the file's own name, else the kind."""
    from models import Product

    if isinstance(holder, Product):
        return f"{KIND_NAMES[kind]} — {holder.name}"[:200]
    if upload is not None and upload.original_name:
        return upload.original_name.rsplit(".", 1)[0][:200] or str(KIND_NAMES[kind])
    return str(KIND_NAMES[kind])


def holder_column(holder):
    from models import Customer, Lead, Product

    return {Product: "product_id", Customer: "customer_id", Lead: "lead_id", Quote: "quote_id"}[type(holder)]


def add_document(holder, *, kind, title=None, language=None, body=None, upload=None, every_months=None,
                 user_id=None) -> Document:
    """A new document on `holder` (a product, customer, lead or quote): the checked upload, or the written page."""
    body = (body or "").strip() or None
    if upload is None and body is None:
        raise DocumentRefused(_l("Choose a file, take a photo or write the page."))
    document = Document(kind=kind, title=(title or "").strip()[:200] or default_title(kind, holder, upload),
                        language=language or None, every_months=every_months if kind == "care" else None,
                        created_by_id=user_id)
    setattr(document, holder_column(holder), holder.id)
    _set_content(document, upload, body)
    db.session.add(document)
    return document


def change_document(document, *, kind, title, language, body=None, upload=None, every_months=None):
    """New details and, when given, new content (a new file replaces the old one; a page its text). Returns the
    stored file no longer used, for `forget_file` once the change is committed."""
    document.kind = kind
    document.title = (title or "").strip()[:200] or document.title
    document.language = language or None
    document.every_months = every_months if kind == "care" else None
    body = (body or "").strip() or None
    old_file = document.stored_name
    if upload is not None or body is not None:
        _set_content(document, upload, body)
    return old_file if old_file and old_file != document.stored_name else None


def _set_content(document, upload, body):
    if upload is not None:
        try:
            document.stored_name = storage.files().put(upload.data, upload.extension)
        except storage.Refused as refused:
            raise DocumentRefused(refused.args[0]) from None
        document.content_type, document.size = upload.content_type, len(upload.data)
        document.original_name, document.body = upload.original_name, None
    else:
        document.stored_name = document.content_type = document.size = document.original_name = None
        document.body = body


def forget_file(stored_name):
    """Remove a stored file nothing names any more (after the commit that stopped naming it)."""
    if stored_name:
        storage.files().delete(stored_name)


def documents_of(holder):
    column = getattr(Document, holder_column(holder))
    return db.session.scalars(select(Document).where(column == holder.id)
                              .order_by(Document.created_at.desc(), Document.id.desc())).all()


def _kind_order(document):
    return (PRODUCT_DOCUMENT_KINDS.index(document.kind) if document.kind in PRODUCT_DOCUMENT_KINDS else 99,
            document.language or "", document.title)


def product_documents(product_ids, kinds):
    """{product id: its documents of `kinds`, in the order a customer reads them}, in one query."""
    ids = {i for i in product_ids if i}
    if not ids:
        return {}
    found = defaultdict(list)
    for document in db.session.scalars(select(Document).where(Document.product_id.in_(ids),
                                                              Document.kind.in_(kinds))):
        found[document.product_id].append(document)
    return {product_id: sorted(documents, key=_kind_order) for product_id, documents in found.items()}


# --- What the customer is given, and through which link -------------------------------------------------------


def quote_kinds(revision):
    return AFTER_SALE if revision.status == "accepted" else BEFORE_SALE


def for_quote(revision):
    """[(product, documents)] a quote's link gives: its products' datasheets (and, once accepted, how to use
    and look after them), one entry per product in the order of the quote's lines."""
    return _by_product([line.product for line in revision.lines if line.product is not None], quote_kinds(revision))


def for_customer(customer):
    """[(product, documents)] of what the customer bought, for their portal: manuals, care, installation…"""
    products = db.session.scalars(
        select(OrderLine).join(Order).where(Order.customer_id == customer.id, OrderLine.product_id.is_not(None))
        .order_by(Order.ordered_on.desc(), OrderLine.position)).all()
    return _by_product([line.product for line in products], AFTER_SALE)


def for_ticket(ticket):
    """[(product, documents)] an installation, training or maintenance visit starts from."""
    line = ticket.order_line
    kinds = FOR_TICKET.get(ticket.kind)
    if not kinds or line is None or line.product is None:
        return []
    return _by_product([line.product], kinds)


def _by_product(products, kinds):
    unique = list({product.id: product for product in products}.values())
    documents = product_documents([p.id for p in unique], kinds)
    return [(product, documents[product.id]) for product in unique if product.id in documents]


def opened_by(document, entries):
    """Whether `document` is among the [(product, documents)] a link gives: a link opens those and no other."""
    return any(document in documents for _product, documents in entries)


# --- Care: how often a sold product is serviced, and what the customer is told ---------------------------------


def care_of(product_id):
    """The product's care instructions, those that say how often first."""
    documents = product_documents([product_id], ("care",)).get(product_id, [])
    return sorted(documents, key=lambda d: (d.every_months is None, _kind_order(d)))


def care_interval(product_id):
    """(months, the instructions saying so) when the product's care instructions give a service interval."""
    for document in care_of(product_id):
        if document.every_months:
            return document.every_months, document
    return None


def first_service_on(sold_on, months, today):
    """The first service date of a product sold on `sold_on` and serviced every `months`, not before today."""
    from sales.support.rules import add_months

    due = add_months(sold_on, months)
    while due < today:
        due = add_months(due, months)
    return due


def plans_from_care(order, today):
    """A maintenance plan for each product of a new order whose care instructions say how often to service it:
    the reminders start from the sale, without anyone having to remember to plan them."""
    from models import MaintenancePlan

    plans = []
    for line in order.lines:
        interval = care_interval(line.product_id) if line.product_id else None
        if interval is None:
            continue
        months, document = interval
        plans.append(MaintenancePlan(customer_id=order.customer_id, order_line=line, every_months=months,
                                     next_due_on=first_service_on(order.ordered_on, months, today),
                                     notes=document.title[:300]))
    db.session.add_all(plans)
    return plans
