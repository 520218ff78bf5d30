"""Which languages Mostrador speaks, which of them the shop offers, and whose language a text is written in.

Staff read the UI in their own language (their profile, else the browser's, among those the shop offers);
everything a customer reads (emails, PDFs, public pages, campaigns) is written in the customer's language,
else the shop's. These functions are the one place that decides it.
"""
from contextlib import contextmanager
from urllib.parse import urlencode

from flask import current_app, g, has_request_context, redirect, request
from flask_babel import force_locale, get_locale, refresh
from itsdangerous import BadData, URLSafeSerializer

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


@contextmanager
def writing_for_the_shop():
    """Render what is inside in the shop's language: names the code gives records that staff then edit as
    their own (an imported deal without a title, a placeholder customer), whoever ran the code."""
    with force_locale(shop_language()):
        yield


def reader_language():
    """The language of this request's reader, chosen by app.select_locale (public pages may set
    g.reader_language to the customer's, or to the visitor's own choice)."""
    if has_request_context():
        return g.get("reader_language")
    return None


# --- Public pages: the customer's language, or the one the visitor picks --------------------------------------

VISITOR_COOKIE = "reader_language"
VISITOR_COOKIE_DAYS = 365


def _visitor_signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="reader-language")


def _this_page(lang=None) -> str:
    """This page's address with its other arguments, and `lang` if given (a switcher link) or without it."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    args += [("lang", lang)] if lang else []
    return request.script_root + request.path + ("?" + urlencode(args) if args else "")


def visitor_language():
    """The language this visitor picked with a public page's switcher (a signed cookie), if the shop offers it."""
    try:
        code = _visitor_signer().loads(request.cookies.get(VISITOR_COOKIE, ""))
    except BadData:
        return None
    return code if code in enabled_languages() else None


def read_as(customer=None):
    """Called first by a public page: it reads in the visitor's own pick, else in the customer's language; a page
    tied to no customer (the web form), in the browser's among those offered, else the shop's. Templates, flash
    messages, dates and amounts follow, and the page shows the language switcher."""
    offered = enabled_languages()
    if customer is not None:
        chosen = customer_language(customer, offered)
    else:
        chosen = request.accept_languages.best_match(offered) or shop_language()
    g.reader_language = visitor_language() or chosen
    refresh()   # a locale already looked up in this request (a before_request hook) is looked up again


def switch_visitor_language():
    """Before a public page: `?lang=de` (a switcher link) keeps the visitor's pick in a cookie and comes back to
    the same page without the parameter, so the pick holds for their next pages and a reload. Works without
    JavaScript; it changes nothing stored about the customer, and staff pages never read it."""
    if "lang" not in request.args or request.method not in ("GET", "HEAD"):
        return None
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "is_public", False):
        return None
    response = redirect(_this_page(), 303)
    response.headers["Cache-Control"] = "no-store"
    code = request.args.get("lang")
    if code in enabled_languages():
        response.set_cookie(VISITOR_COOKIE, _visitor_signer().dumps(code), max_age=VISITOR_COOKIE_DAYS * 86400,
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True,
                            samesite="Lax")
    return response


def switcher_links() -> list[dict]:
    """The public page's language switcher: each offered language in its own name, with the link that picks it;
    empty on pages that did not call read_as() (staff pages, the offline page) or when the shop offers one."""
    if not has_request_context() or g.get("reader_language") is None:
        return []
    offered = enabled_languages()
    if len(offered) < 2:
        return []
    current = str(get_locale())
    return [{"code": code, "name": language_name(code), "current": code == current, "url": _this_page(code)}
            for code in offered]
