"""What every template may use: the permission check, the shop's name, the navigation."""
from decimal import ROUND_HALF_UP, Decimal

from babel import numbers as babel_numbers

from flask import request
from markupsafe import Markup, escape
from flask_babel import format_currency, format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import ShopSetting
from sales import phones
from sales.languages import language_name, switcher_links
from sales.numbers import grouping
from sales.money import Amounts, shop_currency, spelled
from sales.policy import can
from sales.texts import shown

# (endpoint, label): the parts of the sales cycle, in the order a sale runs.
NAVIGATION = (
    ("pages.home", _l("Dashboard")),
    ("customers.index", _l("Customers")),
    ("leads.index", _l("Leads")),
    ("quotes.index", _l("Quotes")),
    ("support.index", _l("Support")),
    ("messaging.campaigns_index", _l("Campaigns")),
)


def _half_up(value: Decimal, places: int) -> Decimal:
    """Rounded to `places` decimals half up (2,345 → 2,35), the way people and spreadsheets round."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _has_logo():
    return ShopSetting.get("shop_logo_type") is not None


def register(app):
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def inject():
        return {
            "can": lambda action, record=None: can(current_user, action, record),
            "shop_name": lambda: ShopSetting.get("shop_name", app.config["SHOP_NAME"]),
            "navigation": NAVIGATION,
            "current_locale": lambda: str(get_locale()),
            "language_name": language_name,
            "language_switcher": switcher_links,
            "shop_setting": ShopSetting.get,
            "has_shop_logo": _has_logo,
        }

    # A text the code stored as msgid and parameters, in the reader's language (sales/texts.py).
    app.add_template_filter(shown, "shown")

    @app.template_filter("datetime")
    def _datetime(value, format="medium"):
        return format_datetime(value, format) if value else ""

    @app.template_filter("money")
    def _money(value, currency=None):
        """An amount in its document's currency (`revision.total|money(revision.currency)`); without one, in
        the shop's currency."""
        if value in (None, ""):
            return ""
        return format_currency(_half_up(Decimal(str(value)), 2), currency or shop_currency())

    @app.template_filter("amounts")
    def _amounts(value):
        """A report's amount: a Decimal in the shop's currency, or `Amounts` — each currency on a line of its own
        (separated by " · " when read as text), never added together."""
        if not isinstance(value, Amounts):
            return _money(value)
        items = value.items() or [(shop_currency(), 0)]
        if len(items) == 1:
            return _money(items[0][1], items[0][0])
        parts = [f'<span class="amount">{escape(_money(amount, currency))}</span>' for currency, amount in items]
        return Markup('<span class="amounts">' + '<span class="visually-hidden"> · </span>'.join(parts) + "</span>")

    app.add_template_filter(spelled, "amounts_text")
    app.jinja_env.globals["shop_currency"] = shop_currency   # a global: imported macros see it too

    @app.template_filter("number")
    def _number(value, places=None):
        """A quantity or percentage in the reader's notation (1,5 or 1.5): without trailing zeros, or with
        exactly `places` decimals for averages that line up in a column (4,50)."""
        if value in (None, ""):
            return ""
        if places:
            return format_decimal(_half_up(Decimal(str(value)), places),
                                  format=grouping(get_locale()) + "." + "0" * places)
        return format_decimal(Decimal(str(value)).normalize(), format=grouping(get_locale()) + ".###")

    @app.template_filter("signed")
    def _signed(value, places=2):
        """A gap or score with its sign, in the reader's notation: +0,75 / −1,00 (a real minus sign)."""
        if value is None:
            return "—"
        digits = grouping(get_locale()) + ("." + "0" * places if places else "")
        return format_decimal(_half_up(Decimal(str(value)), places), format=f"+{digits};−{digits}")

    @app.template_filter("percent")
    def _percent(value, places=None, points=False):
        """A share (0.67) as the reader writes a percentage: 67 % or 67%; with `places` decimals, 5,4 %. With
        points=True the value is already in percent (a tax rate of 21, a discount of 7.5), shown with its
        decimals: 21 %, 7,5 %."""
        if value is None:
            return "—"
        if points:
            return babel_numbers.format_percent(Decimal(str(value)) / 100, locale=get_locale(),
                                                decimal_quantization=False)
        # Rounded half up first, as a spreadsheet does (Babel alone rounds half to even: 62,5 % → 62 %).
        share = _half_up(Decimal(str(value)) * 100, places or 0) / 100
        if not places:
            return format_percent(share)
        pattern = get_locale().percent_formats[None].pattern.split(";")[0]
        whole, _zero, rest = pattern.rpartition("0")
        return format_percent(share, format=f"{whole}0.{'0' * places}{rest}")

    @app.template_filter("phone")
    def _phone(value):
        """A stored phone number as the shop reads it: 911 49 19 78, or +44 20 7946 0018 from abroad."""
        return phones.display(value)

    @app.template_filter("tel")
    def _tel(value):
        """A stored phone number for a tel: link."""
        return phones.dial(value)

    @app.template_filter("date")
    def _date(value, format="medium"):
        return format_date(value, format) if value else ""

    @app.template_global()
    def record_changes(record=None, settings=None, kinds=()):
        """The Changes panel's entries for a record, or for the shop settings a page saves (their keys) and
        the owner's lists it keeps (`kinds`)."""
        from sales import history

        if settings is not None:
            return history.settings_changes(current_user, settings, kinds)
        return history.changes_of(record, current_user)

    @app.template_global()
    def url_with(**changes):
        """The current URL with some query arguments changed: pagination that keeps the search."""
        from flask import url_for

        args = request.args.to_dict()
        args.update({k: v for k, v in changes.items()})
        args = {k: v for k, v in args.items() if v not in (None, "")}
        return url_for(request.endpoint, **(request.view_args or {}), **args)
