"""The quotation as a document: the shop's details, its logo, and the PDF download."""
import base64
import io
from datetime import timezone

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import QuoteRevisionPdf, ShopSetting
from sales.clock import shop_today
from sales.htmx import render_page
from sales.languages import enabled_languages, offer_languages, shop_language, visitor_language, writing_to
from sales.pdf import BODY, new_document
from sales.policy import public, require
from sales.quotes import bp
from sales.quotes.forms import ShopDocumentForm, ShopLanguagesForm
from sales.quotes.views import get_quote_or_404, get_revision_or_404, status_of

LOGO_TYPES = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}


def shop_logo_image():
    """The logo as (kind, bytes), or None. It lives in the database, not on one server's disk, so every app
    server sharing the database shows it and a database backup keeps it."""
    kind = ShopSetting.get("shop_logo_type")
    encoded = ShopSetting.get("shop_logo") if kind else None
    return (kind, base64.b64decode(encoded)) if encoded else None


def save_shop_logo(kind, content):
    ShopSetting.put("shop_logo_type", kind)
    ShopSetting.put("shop_logo", base64.b64encode(content).decode("ascii"))


@bp.route("/settings", methods=["GET", "POST"])
@require("shop.settings")
def settings():
    # Two forms, each with its own Save: the one sent reads the request; the other shows what is saved.
    which = (request.form.get("which") or "details") if request.method == "POST" else None
    form = ShopDocumentForm() if which == "details" else ShopDocumentForm(formdata=None)
    languages_form = ShopLanguagesForm() if which == "languages" else ShopLanguagesForm(formdata=None)
    if which != "details":
        form.shop_name.data = ShopSetting.get("shop_name", current_app.config["SHOP_NAME"])
        form.address.data = ShopSetting.get("shop_address")
        form.tax_id.data = ShopSetting.get("shop_tax_id")
        form.currency.data = ShopSetting.get("currency", "EUR")
        form.quote_validity_days.data = int(ShopSetting.get("quote_validity_days", "30"))
        form.quote_terms.data = ShopSetting.get("quote_terms")
        form.quote_datasheets.data = ShopSetting.get("quote_datasheets", "link")
    if which != "languages":
        languages_form.languages.data = list(enabled_languages())
        languages_form.shop_language.data = shop_language()

    def page(status=200):
        return render_page(None, "quotes/_settings.html", title=_("Shop details"), form=form,
                           languages_form=languages_form, has_logo=ShopSetting.get("shop_logo_type") is not None,
                           status=status)

    if which == "languages" and languages_form.validate_on_submit():
        offer_languages(languages_form.languages.data, languages_form.shop_language.data)
        db.session.commit()
        flash(_("Languages saved."), "success")
        return redirect(url_for("quotes.settings"), 303)
    if which == "details" and form.validate_on_submit():
        upload = form.logo.data
        if upload and getattr(upload, "filename", ""):
            content = upload.read(1024 * 1024 + 1)
            kind = next((ext for magic, ext in LOGO_TYPES.items() if content.startswith(magic)), None)
            if len(content) > 1024 * 1024 or kind is None:
                form.logo.errors.append(_("The logo must be a PNG or JPEG of at most 1 MB."))
                return page(422)
            save_shop_logo(kind, content)
        for key, value in (("shop_name", form.shop_name.data), ("shop_address", form.address.data),
                           ("shop_tax_id", form.tax_id.data), ("currency", form.currency.data),
                           ("quote_validity_days", str(form.quote_validity_days.data)),
                           ("quote_terms", form.quote_terms.data), ("quote_datasheets", form.quote_datasheets.data)):
            ShopSetting.put(key, (value or "").strip() or None)
        db.session.commit()
        flash(_("Shop details saved. They appear on every new document."), "success")
        return redirect(url_for("quotes.settings"), 303)
    return page(422 if form.errors or languages_form.errors else 200)


@bp.route("/shop-logo")
@public
def shop_logo():
    # Public: the logo appears on the customer's quote page too.
    image = shop_logo_image()
    if image is None:
        abort(404)
    kind, content = image
    return send_file(io.BytesIO(content), mimetype="image/png" if kind == "png" else "image/jpeg", max_age=3600)


def revision_pdf(quote, revision):
    """The revision as a PDF, written in the customer's language (whoever downloads it: the seller sends what
    the customer reads). A draft is drawn on each request. A sent revision never changes, so it is drawn once
    per language and kept in the database, where every app server finds it: the email attachment and every
    download are the same bytes. The caller commits."""
    return _kept_or_drawn(quote, revision)[0]


def _kept_or_drawn(quote, revision, language=None):
    """(the PDF's bytes, whether they were just added to the session to be kept), in `language`, else the
    customer's."""
    with (force_locale(language) if language else writing_to(quote.customer)):
        if revision.status == "draft":
            return draw_revision_pdf(quote, revision), False
        language = str(get_locale())
        kept = db.session.get(QuoteRevisionPdf, (revision.id, language))
        if kept is not None:
            return kept.content, False
        content = draw_revision_pdf(quote, revision)
    try:
        with db.session.begin_nested():
            db.session.add(QuoteRevisionPdf(revision_id=revision.id, language=language, content=content))
    except IntegrityError:
        # Another request (or server) kept it first; drawn from the same revision, it is the same document.
        return content, False
    return content, True


def _pdf_download(quote, revision, language=None):
    content, just_kept = _kept_or_drawn(quote, revision, language)
    if just_kept:
        db.session.commit()
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{quote.number}-r{revision.number}.pdf")


def draw_revision_pdf(quote, revision):
    """The PDF in the current locale's words and notation (revision_pdf chooses the customer's): amounts and
    figures through the same filters as the quote's page, so both read alike."""
    filters = current_app.jinja_env.filters
    money = lambda value: filters["money"](value, revision.currency)  # noqa: E731
    number = filters["number"]      # under "Disc. %" and "Tax %": 7,5 and 21
    pdf = new_document(format="A4")
    if revision.sent_at:
        # The document's date is when it was sent, not when it was drawn: drawn again, it is the same file.
        pdf.set_creation_date(revision.sent_at.replace(tzinfo=timezone.utc))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    logo = shop_logo_image()
    if logo:
        pdf.image(io.BytesIO(logo[1]), x=150, y=12, h=18)
    pdf.set_font(BODY, "B", 16)
    pdf.cell(0, 8, ShopSetting.get("shop_name", "Mostrador"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(BODY, "", 9)
    for line in (ShopSetting.get("shop_address") or "").splitlines():
        pdf.cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    if ShopSetting.get("shop_tax_id"):
        pdf.cell(0, 4.5, _("Tax ID") + ": " + ShopSetting.get("shop_tax_id"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(BODY, "B", 13)
    pdf.cell(0, 7, _("Quotation %(number)s — revision %(n)d", number=quote.number, n=revision.number),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(BODY, "", 10)
    customer = quote.customer
    for line in (customer.name, customer.contact_person, customer.street,
                 " ".join(x for x in (customer.postal_code, customer.city) if x), customer.tax_id):
        if line:
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, _("Date: %(date)s · Valid until %(until)s",
                     date=format_date(revision.sent_at or shop_today()), until=format_date(revision.valid_until)),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for title, text in ((_("The need we understood"), revision.need), (_("The solution we propose"), revision.solution),
                        (_("What the customer gains"), revision.benefits)):
        if text:
            pdf.set_font(BODY, "B", 10)
            pdf.cell(0, 5, title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(BODY, "", 10)
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    pdf.ln(2)
    widths = (78, 18, 26, 16, 16, 26)
    pdf.set_font(BODY, "B", 9)
    for width, head in zip(widths, (_("Description"), _("Quantity"), _("Unit price"), _("Disc. %"), _("Tax %"),
                                    _("Amount"))):
        pdf.cell(width, 7, head, border="B", align="L" if width == 78 else "R")
    pdf.ln()
    pdf.set_font(BODY, "", 9)
    for line in revision.lines:
        pdf.cell(widths[0], 6, line.description[:60])
        pdf.cell(widths[1], 6, number(line.quantity), align="R")
        pdf.cell(widths[2], 6, money(line.unit_price), align="R")
        pdf.cell(widths[3], 6, number(line.discount_percent), align="R")
        pdf.cell(widths[4], 6, number(line.tax_rate), align="R")
        pdf.cell(widths[5], 6, money(line.net), align="R")
        pdf.ln()
    pdf.ln(2)
    for label, value, bold in ((_("Total before tax"), revision.subtotal, False), (_("Tax"), revision.tax_total, False),
                               (_("Total"), revision.total, True)):
        pdf.set_font(BODY, "B" if bold else "", 10)
        pdf.cell(sum(widths[:-1]), 6, label, align="R")
        pdf.cell(widths[-1], 6, money(value), align="R", new_x="LMARGIN", new_y="NEXT")
    if revision.terms:
        pdf.ln(4)
        pdf.set_font(BODY, "B", 9)
        pdf.cell(0, 5, _("Terms"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(BODY, "", 9)
        pdf.multi_cell(0, 4.5, revision.terms)
    return bytes(pdf.output())


@bp.route("/<int:quote_id>/r/<int:number>.pdf")
@require("quotes.view")
def pdf(quote_id, number):
    quote = get_quote_or_404(quote_id)
    return _pdf_download(quote, get_revision_or_404(quote, number))


@bp.route("/q/<token>.pdf")
@public
def public_pdf(token):
    from sales.quotes.rules import revision_by_token

    revision = revision_by_token(token)
    if revision is None or status_of(revision) in ("superseded", "expired"):
        abort(404)
    # A visitor who switched the page's language gets the document in that language too.
    return _pdf_download(revision.quote, revision, visitor_language())
