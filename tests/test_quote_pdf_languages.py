"""The quote PDF in every language the shop speaks: written in the customer's language whoever downloads it, its
headings from that language's catalogue, its amounts in that language's notation (₹12,34,567.50 in Hindi,
1.234.567,50 € in German), a real bold face, Hindi conjuncts shaped, and only the fonts Mostrador bundles."""
import io
import re
import unicodedata
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
import uharfbuzz
from babel.numbers import format_currency
from fontTools.ttLib import TTFont
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from extensions import db
from models import Product, Quote, ShopSetting
from sales.clock import shop_today

FONTS = Path(__file__).resolve().parents[1] / "sales" / "pdf" / "fonts"
LANGUAGES = ("en", "es", "de", "hi")
CURRENCY = {"hi": "INR"}                     # the others in euros
BIKE = "Lastenrad Größe Übergröße"           # umlauts and ß: the same in every language
HELMET = "क्षमा प्रस्ताव — श्री हेलमेट"          # conjuncts (क्ष, प्र, स्त, श्र) and vowel signs
NEED = "विद्युत साइकिल की आवश्यकता"           # ि is drawn before the consonant it follows in the text
CONJUNCT_WORDS = ("क्षमा", "प्रस्ताव", "श्री")


def test_every_language_the_shop_offers_is_covered(app):
    assert LANGUAGES == tuple(app.config["LANGUAGES"])


def bundled_faces():
    """{(full name, version, build time): file name} of the fonts in sales/pdf/fonts/."""
    faces = {}
    for path in FONTS.glob("*.ttf"):
        font = TTFont(path)
        faces[identity(font)] = path.name
    return faces


def identity(font):
    return font["name"].getDebugName(4), font["name"].getDebugName(5), font["head"].created


def embedded_fonts(reader):
    """[fontTools TTFont] of every font the PDF's pages use, read from the PDF itself."""
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            fonts[font["/BaseFont"]] = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    return list(fonts.values())


def outlines(font):
    """The outline of every glyph in the font, as comparable tuples."""
    glyf = font["glyf"]
    shapes = set()
    for name in font.getGlyphOrder():
        coordinates, ends, _flags = glyf[name].getCoordinates(glyf)
        if len(coordinates):
            shapes.add((tuple(map(tuple, coordinates)), tuple(ends)))
    return shapes


def conjunct_outlines(path, word):
    """The outlines HarfBuzz draws `word` with that no single character maps to: its conjuncts and half forms."""
    with open(path, "rb") as file:
        content = file.read()
    font = TTFont(io.BytesIO(content))
    buffer = uharfbuzz.Buffer()
    buffer.add_str(word)
    buffer.guess_segment_properties()
    uharfbuzz.shape(uharfbuzz.Font(uharfbuzz.Face(uharfbuzz.Blob(content))), buffer, {})
    by_character = set(font.getBestCmap().values())
    names = [font.getGlyphName(info.codepoint) for info in buffer.glyph_infos]
    glyf = font["glyf"]
    shapes = set()
    for name in names:
        if name not in by_character:
            coordinates, ends, _flags = glyf[name].getCoordinates(glyf)
            shapes.add((tuple(map(tuple, coordinates)), tuple(ends)))
    return shapes


def squeezed(text):
    """Text without spacing or control characters. Extraction breaks lines and words where the layout does,
    and where HarfBuzz drew a cluster's glyphs out of text order (ि before the द of दि) the text rides on the
    first glyph: pypdf gives the second glyph's raw code, a control character."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cc")


def spaced(text):
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_quote_pdf_is_written_in_the_customers_language_with_the_bundled_fonts(
        language, app, as_seller, make_customer):
    currency = CURRENCY.get(language, "EUR")
    with app.app_context():
        ShopSetting.put("currency", currency)
        bike = Product(code="LR1", name=BIKE, unit_price=Decimal("1234567.50"), tax_rate=Decimal("19"))
        helmet = Product(code="H1", name=HELMET, unit_price=Decimal("59.90"), tax_rate=Decimal("7.5"))
        db.session.add_all([bike, helmet])
        db.session.commit()
        products = [bike.id] + ([helmet.id] if language == "hi" else [])
    customer = make_customer("Jürgen Groß", language=language)
    form = {"customer_id": str(customer.id), "lead_id": "0",
            "valid_until": (shop_today() + timedelta(days=30)).isoformat(),
            "need": NEED if language == "hi" else ""}
    for i, product_id in enumerate(products):
        form.update({f"lines-{i}-product_id": str(product_id), f"lines-{i}-quantity": "1"})
    response = as_seller.post(f"/quotes/new?customer_id={customer.id}", data=form)
    assert response.status_code == 303
    quote_id = int(response.location.rsplit("/", 1)[1])

    # The seller reads another language than the customer: the PDF is the customer's.
    seller_reads = "es" if language != "es" else "en"
    response = as_seller.get(f"/quotes/{quote_id}/r/1.pdf", headers={"Accept-Language": seller_reads})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = spaced(" ".join(page.extract_text() for page in reader.pages))

    with app.test_request_context(), force_locale(language):
        quote = db.session.get(Quote, quote_id)
        revision = quote.latest
        words = [_("Quotation %(number)s — revision %(n)d", number=quote.number, n=revision.number),
                 _("Description"), _("Quantity"), _("Unit price"), _("Amount"), _("Total before tax"), _("Total")]
        today = format_date(shop_today())
        total = revision.total
    with app.test_request_context(), force_locale(seller_reads):
        sellers_word = _("Description")
    for word in words:
        assert squeezed(word) in squeezed(text), (language, word)
    if sellers_word != words[1]:
        assert sellers_word not in text
    assert squeezed(today) in squeezed(text)
    assert BIKE in text
    for amount in (Decimal("1234567.50"), total):
        assert spaced(format_currency(amount, currency, locale=language)) in text, (language, amount)

    faces = bundled_faces()
    embedded = {faces.get(identity(font)): font for font in embedded_fonts(reader)}
    assert None not in embedded, "a font that is not one of sales/pdf/fonts/ is embedded"
    assert {"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"} <= set(embedded)      # headings and the total in bold
    if language == "hi":
        assert squeezed(HELMET) in squeezed(text) and squeezed(NEED) in squeezed(text)
        devanagari = embedded["NotoSansDevanagari-Regular.ttf"]
        drawn = outlines(devanagari)
        for word in CONJUNCT_WORDS:
            conjuncts = conjunct_outlines(FONTS / "NotoSansDevanagari-Regular.ttf", word)
            assert conjuncts, word                    # the word does have a conjunct
            assert conjuncts <= drawn, f"{word} is drawn letter by letter, not shaped"
    else:
        # No Hindi in the document: the Devanagari faces stay out of it.
        assert not any(name.startswith("NotoSansDevanagari") for name in embedded)
