"""Numbers as people write them: text typed in a form or found in a file becomes a Decimal here, and only here.

The rules are the language's own (Babel's CLDR data, strict mode): in Spanish "1.200" is one thousand two
hundred and "1.234,50" has cents; in English "1,200.50". Text the rules reject — or that could mean two things,
like Spanish "1.5" (15? 1,5?) — is refused with the readings it may have meant, never guessed.

`parse_amount(text, locale)` is the public entry point: forms call it through `LocalDecimalField`
(sales/forms.py), imports call it for their amount columns with the file's own convention as `locale`.
"""
import functools
import re

from babel import Locale
from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal
from flask import current_app

# What people put around a number that says nothing about its value: currency signs, a percent sign, spaces
# (also the no-break and narrow no-break spaces spreadsheets write as thousands separators).
_DECORATION = re.compile(r"[\s\u00a0\u202f€$£%]")
# The minus signs people paste from documents, read as the plain one.
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})


class AmountError(ValueError):
    """Text that is not a number in the given language. `suggestions` are the numbers it may have meant,
    written in that language (Spanish "1.5" → ["15", "1,5"]); empty when it is no number at all."""

    def __init__(self, text, suggestions=()):
        super().__init__(text)
        self.text = text
        self.suggestions = list(suggestions)


def parse_amount(text, locale):
    """The Decimal that `text` means in `locale` ("es", "en", a babel Locale…); None for blank text.

    Accepts the language's decimal mark and thousands grouping, a leading sign, and ignores currency signs,
    a percent sign and spaces: "1.234,50 €", "21 %", "-3,5" in Spanish; "$1,200.50" in English. Raises
    AmountError for anything else, including a grouping in the wrong place ("12.00" in Spanish) and a
    decimal mark the language does not use ("1.5" in Spanish).
    """
    if text is None:
        return None
    cleaned = _DECORATION.sub("", str(text)).translate(_MINUS_SIGNS)
    if not cleaned:
        return None
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    try:
        value = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError as error:
        raise AmountError(text, getattr(error, "suggestions", None) or ()) from None
    except ArithmeticError:   # "1.5e308": Babel's strict check re-formats it and decimal gives up
        raise AmountError(text) from None
    if not value.is_finite():   # "NaN", "Infinity": Decimal reads them, nobody means them
        raise AmountError(text)
    return value


def shop_file_locale():
    """The notation of a spreadsheet made in the shop, when the file does not say: the shop's language
    (SHOP_LANGUAGE). An import's mapping page may let the user choose another."""
    return current_app.config.get("SHOP_LANGUAGE", "es")


def separators(locale):
    """(decimal mark, thousands separator) of a language: (",", ".") for Spanish, (".", ",") for English."""
    return get_decimal_symbol(locale), get_group_symbol(locale)


def grouping(locale) -> str:
    return _grouping(str(locale))


@functools.lru_cache(maxsize=None)     # called per number shown: a board formats hundreds
def _grouping(locale: str) -> str:
    """The integer part of the language's number pattern, for patterns of our own with fixed decimals:
    "#,##0" — or "#,##,##0" in Hindi, which groups in lakhs (12,34,567) and reads only that back."""
    return Locale.parse(locale).decimal_formats[None].pattern.split(";")[0].split(".")[0]


def example(locale):
    """One thousand two hundred and a half, written the language's way: "1.200,50" or "1,200.50"."""
    decimal_mark, group = separators(locale)
    return f"1{group}200{decimal_mark}50"



# --- Numbers in files -----------------------------------------------------------------------------------------
# A spreadsheet writes its numbers one of two ways, whatever language its headers are in. Each way is read with
# the rules of a language that writes numbers so.
NOTATIONS = {"comma": "es", "point": "en"}        # 1.234,56 and 1,234.56


def notation_of(locale) -> str:
    return "comma" if get_decimal_symbol(locale) == "," else "point"


def shop_file_notation() -> str:
    return notation_of(shop_file_locale())


def number_reading(values, default: str) -> dict:
    """How the numbers of a file are written: {"notation": comma|point, "ambiguous": bool}.

    A value only one notation reads ("2399.90", "1.234,56") proves it — the most proven one wins, and values
    of the other notation become the rows' problems. When no value proves either but some read differently in
    the two ("1.200": 1200 or 1,2), `default` is a guess the person must confirm.
    """
    proven, differs = {"comma": 0, "point": 0}, False
    for value in values:
        readings = {}
        for notation, locale in NOTATIONS.items():
            try:
                readings[notation] = parse_amount(value, locale)
            except AmountError:
                pass
        if len(readings) == 1:
            proven[next(iter(readings))] += 1
        elif len(set(readings.values())) > 1:
            differs = True
    if any(proven.values()):
        return {"notation": max(proven, key=proven.get), "ambiguous": False}
    return {"notation": default, "ambiguous": differs}


def parse_file_number(text, notation: str):
    """A number in a file written in `notation` (comma or point); AmountError when it is not one."""
    return parse_amount(text, NOTATIONS.get(notation, "en"))


def notation_example(notation: str) -> str:
    """One thousand two hundred and a half in that notation: "1.200,50" or "1,200.50"."""
    return example(NOTATIONS.get(notation) or shop_file_locale())
