"""Names the shop gives things, per language: its pipeline stages, which the owner names and renames.

A row keeps `names` ({language: name}) and, for everything that reads one name whoever asks (the API, exports,
webhooks), `name`: the name in the shop's language. Staff read the UI in their own language, so every page shows
`shown_name(...)`: the reader's language's name, else the shop's, else any the row has.
"""
from flask_babel import force_locale, get_locale

from sales.languages import available_languages, shop_language


def reader_code():
    """The language this text is being written in (the reader's, or the one forced for an email or a job)."""
    locale = get_locale()
    return locale.language if locale is not None else None


def shown_name(names, name=None, reader=None, shop=None) -> str:
    """The name to show: in the reader's language, else in the shop's (`name` is the shop's as last saved),
    else in any language the row has one in."""
    names = names or {}
    reader = reader or reader_code()
    shop = shop or shop_language()
    for candidate in (names.get(reader), names.get(shop), name, *names.values()):
        if candidate:
            return candidate
    return ""


def in_every_language(message) -> dict:
    """{language: text} of a lazy catalogue message (`lazy_gettext`), whoever is reading now."""
    names = {}
    for code in available_languages():
        with force_locale(code):
            names[code] = str(message)
    return names


def with_name(names, language, name) -> dict:
    """`names` with `language`'s name set (or dropped when blank), as a new dict: a JSON column is saved only
    when it is given a new value."""
    names = dict(names or {})
    name = (name or "").strip()
    if name:
        names[language] = name
    else:
        names.pop(language, None)
    return names
