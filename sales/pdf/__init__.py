"""PDFs in every script Mostrador speaks: the one place that makes an fpdf2 document.

Every PDF embeds the fonts kept in sales/pdf/fonts/ (never the server's own, which differ from one machine to
the next): Noto Sans for Latin, Greek and Cyrillic text, € and ₹, with its real bold; Noto Sans Devanagari for
Hindi, taken up character by character wherever Noto Sans has no glyph. HarfBuzz shapes the text, so Devanagari
conjuncts and vowel signs join (क्ष, प्र, श्री) instead of standing apart.
"""
import copy
import functools
import io
import pickle
from pathlib import Path

FONTS = Path(__file__).with_name("fonts")
BODY = "NotoSans"
# family -> {style: file}. The families after BODY are fallbacks, in the order they are tried.
FACES = {
    BODY: {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"},
    "NotoSansDevanagari": {"": "NotoSansDevanagari-Regular.ttf", "B": "NotoSansDevanagari-Bold.ttf"},
}
FALLBACKS = tuple(family for family in FACES if family != BODY)
# What shaping reads (substitutions, positions, glyph classes): fpdf2 leaves these out of the embedded subset.
LAYOUT_TABLES = ("GDEF", "GSUB", "GPOS")


def font_path(family, style="") -> str:
    return str(FONTS / FACES[family][style])


def new_document(**options):
    """An fpdf2 document (`options` as FPDF takes them) in the body font, regular and bold, shaping its text."""
    pdf = _document_class()(**options)
    for style in FACES[BODY]:
        add_font(pdf, BODY, style, font_path(BODY, style))
    pdf.set_text_shaping(True)
    pdf.set_font(BODY, "", 10)
    return pdf


@functools.cache
def _document_class():
    from fpdf import FPDF       # imported with the first PDF, not when the app starts

    class Document(FPDF):
        def get_fallback_font(self, char, style=""):
            """The face for a character the body font lacks (Hindi); fpdf2 asks for every such character as it
            splits a text into runs, since shaping is on. A fallback face is added to the document the first
            time one of its characters appears in that style, so a PDF without Devanagari carries no empty
            Devanagari font."""
            style = "B" if "B" in style else ""
            found = super().get_fallback_font(char, style)
            if found is not None:
                return found
            for family in FALLBACKS:
                if family.lower() + style not in self.fonts and ord(char) in _parsed_font(
                        font_path(family, style), style)[0].cmap:
                    add_font(self, family, style, font_path(family, style))
                    self.set_fallback_fonts([f for f in FALLBACKS if any(
                        f.lower() + s in self.fonts for s in FACES[f])], exact_match=True)
                    return super().get_fallback_font(char, style)
            return None

        # fpdf2 2.8.9: when a line starts in a fallback face (a Hindi name) right after set_font or on a new
        # page, the line sets the current font inside its own q … Q, which undoes it; every following line in
        # that font, not set again, comes out in the font before (garbage glyphs). Setting the current font on
        # the page first, outside any line, as fpdf2 does for a line that starts in the body font, avoids it.
        def _render_styled_text_line(self, *args, **kwargs):
            self._set_current_font_on_page()
            return super()._render_styled_text_line(*args, **kwargs)

        def add_page(self, *args, **kwargs):      # an automatic page break inside a line, too
            super().add_page(*args, **kwargs)
            self._set_current_font_on_page()

        def _set_current_font_on_page(self):
            if self.page and self.current_font is not None and not self.current_font_is_set_on_page:
                self._out(self._set_font_for_page(self.current_font, self.font_size_pt))

    return Document


@functools.cache
def _parsed_font(path, style):
    """fpdf2's add_font reads the whole TTF (the widths and glyph ids of its thousands of glyphs, and the tables
    it needs): ~20 ms a style. That never changes, so each process does it once. Returns the font object, its
    fontTools tables pickled (output() subsets those in place, so every document unpickles its own, ~10 ms),
    and the HarfBuzz face that shapes its text (read-only, so every document shares it)."""
    import uharfbuzz
    from fontTools import ttLib
    from fpdf import FPDF

    scratch = FPDF()
    scratch.add_font("Parsed", style, path)
    font = scratch.fonts["parsed" + style]
    with open(path, "rb") as file:
        content = file.read()
    tables = ttLib.TTFont(io.BytesIO(content), recalcTimestamp=False, lazy=True)
    for tag in font.ttfont.tables:      # the tables add_font decoded, no more: the output stays the same
        tables[tag]
    for tag in LAYOUT_TABLES:
        # HarfBuzz reads them from the face below; output() drops them from the embedded subset anyway, but
        # fontTools would first decode them (~12 ms a font, each document).
        if tag in tables:
            del tables[tag]
    face = uharfbuzz.Face(uharfbuzz.Blob(content))
    return font, pickle.dumps(tables, protocol=pickle.HIGHEST_PROTOCOL), face


def add_font(pdf, family, style, path):
    """pdf.add_font(family, style, path) from the font parsed once per process. The copy shares what fpdf2
    only reads (cmap, glyph ids, descriptor, HarfBuzz face) and gets its own per-document state: the fontTools
    tables that output() subsets, the map of the glyphs this document used, and the HarfBuzz font whose size
    shaping sets."""
    from fpdf.fonts import HarfBuzzFont, SubsetMap

    parsed, tables, face = _parsed_font(path, style)
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    font.fontkey = family.lower() + style
    font.cw = copy.copy(parsed.cw)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.ttfont = pickle.loads(tables)
    font.subset = SubsetMap(font)
    font._hbfont = HarfBuzzFont(face)
    pdf.fonts[font.fontkey] = font
