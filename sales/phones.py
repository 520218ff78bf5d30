"""Phone numbers, with Google's libphonenumber rules (the `phonenumbers` package).

A number is stored in E.164 ("+34911491978") whatever way it was typed — "91 149 19 78", "+34 91 149 19 78",
"0034 911 491 978" — so the same number always matches itself: duplicate checks, imports, the web form and the
search compare E.164. A number without a country prefix is read as one of the shop's country (SHOP_COUNTRY,
default "ES"). It is shown in the national format for the shop's country ("911 49 19 78") and in the
international format for others ("+44 20 7946 0018").

Public for the import code: `normalise(text)` (E.164 or PhoneError), `match_key(text)` (E.164 or None, never
raises: for matching rows against what is on file), `search_digits(*numbers)` (what phone search matches).
"""
import os
import re
from functools import lru_cache

import phonenumbers
from flask import current_app, has_app_context

DEFAULT_COUNTRY = "ES"


class PhoneError(ValueError):
    """Text that is not a valid phone number of the shop's country, nor an international one."""


def shop_country() -> str:
    if has_app_context():
        return current_app.config.get("SHOP_COUNTRY") or DEFAULT_COUNTRY
    return os.environ.get("SHOP_COUNTRY", DEFAULT_COUNTRY)


def _parse(text, region=None):
    try:
        number = phonenumbers.parse(str(text), region or shop_country())
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise(text, region=None):
    """The E.164 form of a typed number ("+34911491978"); None for blank text; PhoneError when it is not a
    valid number. `region` is the country a number without prefix belongs to (default: the shop's)."""
    if text is None or not str(text).strip():
        return None
    e164 = _e164(str(text), region or shop_country())
    if e164 is None:
        raise PhoneError(text)
    return e164


# A page names the same stored numbers again and again (My day: 200 steps, each number shown and dialled):
# libphonenumber's parse costs ≈ 0.1 ms, so each text's forms are worked out once per process. Strings in,
# strings out: nothing cached can be changed by a caller.
@lru_cache(maxsize=4096)
def _e164(text, region):
    number = _parse(text, region)
    return None if number is None else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def _shown(text, country):
    number = _parse(text, country)
    if number is None:
        return text
    if phonenumbers.region_code_for_number(number) == country:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def match_key(text, region=None):
    """The E.164 form when `text` is a valid number, else None: for matching, where a bad number simply
    matches nothing."""
    try:
        return normalise(text, region)
    except PhoneError:
        return None


def stored_form(text):
    """What to store for a number: E.164 when valid; otherwise the text as it came (an old record, a file's
    odd cell), trimmed, so nothing typed is lost."""
    if text is None or not str(text).strip():
        return None
    return match_key(text) or " ".join(str(text).split())


def display(text):
    """A stored number for people: national format in the shop's country, international for others; text
    that is no valid number is shown as it is."""
    if not text:
        return ""
    return _shown(str(text), shop_country())


def dial(text):
    """For a tel: link: E.164 when valid, else the digits and a leading +."""
    if not text:
        return ""
    return match_key(text) or re.sub(r"[^\d+]", "", text)


def search_digits(*numbers):
    """The digits phone search looks in: for each valid number its E.164 digits and its national digits
    ("34911491978 911491978"), so a part typed with or without the prefix is found; other text, its digits."""
    tokens = []
    for text in numbers:
        if not text:
            continue
        number = _parse(text)
        if number is None:
            candidates = [re.sub(r"\D", "", text)]
        else:
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            candidates = [phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:],
                          re.sub(r"\D", "", national)]
        tokens += [token for token in candidates if token and token not in tokens]
    return " ".join(tokens) or None


def match_digits(text):
    """The digits two records' numbers are compared by: E.164's for a valid number ("34911491978"), else the
    plain digits. A token of `search_digits`, so it can be looked up among them."""
    key = match_key(text)
    return key[1:] if key else re.sub(r"\D", "", text or "")


def digits_to_search(text):
    """The digits of a phone typed into a search box: "0034 91 149" and "+34 91 149" both look for 3491149."""
    digits = re.sub(r"\D", "", text or "")
    return digits[2:] if digits.startswith("00") else digits
