"""Which languages Mostrador speaks, which of them the shop offers, and whose language a text is written in.

Staff read the UI in their own language (their profile, else the browser's, among those the shop offers);
everything a customer reads (emails, PDFs, public pages, campaigns) is written in the customer's language,
else the shop's. These functions are the one place that decides it.
"""
from contextlib import contextmanager

from flask import current_app, g, has_request_context
from flask_babel import force_locale

# Each language named in itself: a visitor looking for theirs recognises it whatever the page's language.
NAMES = {"en": "English", "es": "Español", "de": "Deutsch", "hi": "हिन्दी"}


def available_languages() -> tuple:
    """Every language with a complete catalogue, in the order pickers list them."""
    return tuple(current_app.config["LANGUAGES"])


def enabled_languages() -> tuple:
    """The languages the shop offers (its settings; all of them until the owner chooses), in the order pickers
    list them. The shop's own is always among them."""
    from models import ShopSetting

    available = available_languages()
    chosen = set((ShopSetting.get("languages") or "").split(",")) & set(available)
    if not chosen:
        return available
    chosen.add(shop_language())
    return tuple(code for code in available if code in chosen)


def shop_language() -> str:
    """The shop's language: customers without one of their own are written to in it, and texts made outside a
    request (scheduled jobs, demo data) use it."""
    from models import ShopSetting

    available = available_languages()
    for code in (ShopSetting.get("shop_language"), current_app.config.get("SHOP_LANGUAGE")):
        if code in available:
            return code
    return available[0]


def language_name(code) -> str:
    return NAMES.get(code, code or "")


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in enabled_languages()]


def offer_languages(codes, shop) -> None:
    """The owner's choice (Shop details): the languages the shop offers, and its own among them."""
    from models import ShopSetting

    available = available_languages()
    offered = [code for code in available if code in set(codes) | {shop}]
    ShopSetting.put("languages", ",".join(offered), default=",".join(enabled_languages()))
    ShopSetting.put("shop_language", shop, default=shop_language())


def language_from_text(text):
    """The language a file or a contact card names — its code ("de", "de-AT"), its own name ("Deutsch") or its
    name in any language Mostrador speaks ("German", "Alemán", "जर्मन"), any case — or None."""
    from babel import Locale

    from sales.matching import match_key

    wanted = match_key(text)
    if not wanted:
        return None
    available = available_languages()
    tag = wanted.replace("_", "-").split("-")[0]
    if tag in available:
        return tag
    for code in available:
        names = {NAMES.get(code, code)} | {Locale.parse(reader).languages.get(code, "") for reader in available}
        if wanted in {match_key(name) for name in names if name}:
            return code
    return None


def customer_language(customer, offered=None, shop=None) -> str:
    """The language to write to this customer in: theirs when the shop still offers it, else the shop's.
    A loop over many customers passes `offered` and `shop` (enabled_languages(), shop_language()) read once."""
    code = getattr(customer, "language", None)
    if code in (offered if offered is not None else enabled_languages()):
        return code
    return shop or shop_language()


@contextmanager
def writing_to(customer):
    """Render what is inside in the customer's language: `with writing_to(customer): email = quote_email(…)`."""
    with force_locale(customer_language(customer)):
        yield


def reader_language():
    """The language of this request's reader, chosen by app.select_locale (public pages may set
    g.reader_language to the customer's, or to the visitor's own choice)."""
    if has_request_context():
        return g.get("reader_language")
    return None
