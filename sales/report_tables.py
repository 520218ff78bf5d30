"""Report tables: each table of a report page is built once, as a `Table`, and both the page and its CSV
download are written from that one object, so they always have the same rows, totals and headers.

A report view builds its tables and answers with `report_page(...)`: the page (full or the htmx fragment), or,
with ?csv=<table name>, that table as a CSV file. Templates draw a table with the `report_table` macro of
`templates/macros/report.html`, which adds the table's download link.

Cells hold plain values (int, Decimal, float, date, str, None, or a `Link`); each column's kind says how the
value is written: in the reader's notation on the page (the shared locale filters), as a plain number in the CSV
(a decimal point, no thousands separator, so a spreadsheet reads it as a number in any language).

Money cells hold a Decimal (in the shop's currency) or `Amounts` (sales/money.py: summed per currency, never
converted). When a table's amounts are in more than one currency, the page lists each cell's amounts one per
currency under a note saying so, and the CSV gives every money column one column per currency ("Revenue (EUR)",
"Revenue (USD)"), so each CSV cell stays a plain number a spreadsheet can add up.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from flask import g, request, url_for
from flask_babel import gettext as _

from sales.csv_export import csv_response
from sales.htmx import render_page
from sales.money import Amounts, shop_currency

KINDS = ("text", "count", "money", "percent", "number", "signed", "date", "badge")


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere on the page; the CSV keeps its text."""
    text: str
    url: str

    def __str__(self):
        return self.text


@dataclass
class Column:
    label: str
    kind: str = "text"
    places: Optional[int] = None   # decimals shown (number, signed, percent); None: as many as needed
    coloured: bool = False         # signed figures shown red below zero, green above (a satisfaction gap)

    @property
    def csv_label(self) -> str:
        # A percentage goes to the CSV as a number (54.5), so its header says it is a percentage.
        return f"{self.label} (%)" if self.kind == "percent" else str(self.label)


@dataclass
class Row:
    values: list
    css: str = ""
    kinds: dict = field(default_factory=dict)   # {column index: kind} where this row's cell differs (money)

    def kind(self, index: int, column: Column) -> str:
        return self.kinds.get(index, column.kind)


@dataclass
class Table:
    """One table of a report. `rows` are the lines; `totals` come after them (on the page and in the CSV)."""
    name: str                     # unique on its page: ?csv=<name> downloads it
    title: str
    columns: list[Column]
    filename: str                 # the CSV's file name, without .csv
    rows: list[Row] = field(default_factory=list)
    totals: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what a total holds, how a figure is counted
    warnings: list[str] = field(default_factory=list)   # said above the table: what its figures leave out
    empty: str = ""               # shown instead of the table when it has no rows

    def add(self, *values, css: str = "") -> "Table":
        self.rows.append(Row(list(values), css))
        return self

    def total(self, *values, css: str = "total") -> "Table":
        self.totals.append(Row(list(values), css))
        return self

    def __bool__(self):
        return bool(self.rows or self.totals)

    def _money_cells(self):
        for row in self.rows + self.totals:
            for i, (column, value) in enumerate(zip(self.columns, row.values)):
                if row.kind(i, column) == "money":
                    yield i, value

    def currencies(self) -> list[str]:
        """The currencies the table's amounts are in, alphabetically (a plain Decimal is in the shop's)."""
        found = set()
        for _i, value in self._money_cells():
            if isinstance(value, Amounts):
                found.update(value.currencies)
            elif value is not None and value != "":
                found.add(shop_currency())
        return Amounts((currency, 0) for currency in found).currencies

    def currency_note(self) -> Optional[str]:
        """Said above a table whose amounts span currencies."""
        currencies = self.currencies()
        return currency_note(currencies) if len(currencies) > 1 else None

    def _csv_currencies(self) -> Optional[list[str]]:
        """None while every amount is in the shop's currency (one column each, as always); else the currencies
        each money column is split into."""
        currencies = self.currencies()
        return None if currencies in ([], [shop_currency()]) else currencies

    def csv_header(self) -> list[str]:
        split = self._csv_currencies()
        money = {i for i, _value in self._money_cells()}
        header = []
        for i, column in enumerate(self.columns):
            if split and i in money:
                header += [f"{column.label} ({currency})" for currency in split]
            else:
                header.append(column.csv_label)
        return header

    def csv_rows(self):
        split = self._csv_currencies()
        money = {i for i, _value in self._money_cells()}
        for row in self.rows + self.totals:
            line = []
            for i, (column, value) in enumerate(zip(self.columns, row.values)):
                kind = row.kind(i, column)
                if split and i in money:
                    line += [_in_currency(value, currency) for currency in split]
                else:
                    line.append(csv_value(column, value, kind))
            yield line


def currency_note(currencies) -> str:
    if len(currencies) == 2:
        return _("These figures mix two currencies: %(first)s and %(second)s; amounts are shown per currency, "
                 "never converted.", first=currencies[0], second=currencies[1])
    return _("These figures mix %(num)d currencies: %(currencies)s; amounts are shown per currency, never "
             "converted.", num=len(currencies), currencies=", ".join(currencies))


def _in_currency(value, currency):
    """A money cell's amount in one currency's CSV column: blank when the cell holds nothing in it."""
    if isinstance(value, Amounts):
        held = value.currencies or [shop_currency()]   # nothing at all reads 0 in the shop's currency, as shown
        return csv_value(None, value.get(currency), "money") if currency in held else ""
    if value is None or value == "" or currency != shop_currency():
        return ""
    return csv_value(None, value, "money")


def csv_value(column: Column, value: Any, kind: Optional[str] = None):
    """The value as the CSV holds it: plain numbers, ISO dates, text."""
    kind = kind or column.kind
    if value is None or value == "":
        return ""
    if isinstance(value, Link):
        return value.text
    if isinstance(value, Amounts):   # one currency only (several are split into columns by the table)
        value = value.get(value.currencies[0]) if value.currencies else 0
    if kind == "count":
        return _rounded(Decimal(str(value)), None)
    if kind == "money":
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if kind == "percent":
        return _rounded(Decimal(str(value)) * 100, column.places or 0)
    if kind in ("number", "signed"):
        return _rounded(Decimal(str(value)), column.places)
    if kind == "date":
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat() \
            if isinstance(value, date) else str(value)
    return str(value)


def _rounded(value: Decimal, places: Optional[int]) -> Decimal:
    if places is None:
        return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def csv_of(table: Table):
    return csv_response(f"{table.filename}.csv", table.csv_header(), table.csv_rows())


def report_page(template, fragment, tables, endpoint=None, **context):
    """The report page with its tables, or (?csv=<name>) one of them as a CSV download.

    `tables` is a list of Table; each gets the URL of its own download (the page's URL and arguments plus
    ?csv=<name>, on `endpoint` when the page was drawn by another route, such as a form's POST).
    """
    wanted = g.get("report_csv") or request.args.get("csv")
    if wanted is not None:
        for table in tables:
            if table.name == wanted:
                return csv_of(table)
    endpoint = endpoint or request.endpoint
    args = {k: v for k, v in request.args.items() if k != "csv" and v != ""}
    csv_urls = {table.name: url_for(endpoint, **(request.view_args or {}), **args, csv=table.name)
                for table in tables}
    return render_page(template, fragment, tables={t.name: t for t in tables}, csv_urls=csv_urls, **context)


# --- Shares and ranks ----------------------------------------------------------------------------------------


def shares_by_largest_remainder(counts: list[int], places: int = 0) -> list[Decimal]:
    """Percentages of a whole, rounded to `places` decimals so that they add up to exactly 100.

    Largest remainder (Hamilton): every share is rounded down, then the units still missing go one each to the
    shares that lost the most in rounding (ties: the bigger count first, then the earlier row).
    """
    whole = sum(counts)
    if not whole:
        return [Decimal(0) for _count in counts]
    unit = Decimal(1).scaleb(-places)
    exact = [Decimal(count) * 100 / whole for count in counts]
    floors = [(value / unit).to_integral_value(rounding="ROUND_FLOOR") * unit for value in exact]
    missing = int(((Decimal(100) - sum(floors)) / unit).to_integral_value())
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - floors[i]), -counts[i], i))
    for i in order[:missing]:
        floors[i] += unit
    return [value.quantize(unit) for value in floors]


def nothing_label() -> str:
    return _("Nothing in this period.")
