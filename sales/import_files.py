"""Reading the files people import: CSV in any common dialect and encoding, and spreadsheets (.xlsx with
openpyxl, .ods with python-calamine). Whatever arrives, the answer is a table — a header and rows of text — or a
`FileProblem` whose message a person understands. Nothing here raises anything else at a bad file.

A spreadsheet is turned into CSV text once, on upload, so every later step (mapping, checking, importing in
chunks on any app server) reads the same text the same way.
"""
import csv
import io
import zipfile
from datetime import date, datetime, time

from flask_babel import gettext as _

MAX_BYTES = 8 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")


class FileProblem(ValueError):
    """The file itself cannot be read (not one of its rows). When a workbook needs a sheet chosen, `sheets` holds
    {sheet name: its rows as CSV text} for the sheets with data, so the choice needs no second upload."""

    def __init__(self, message, sheets=None):
        super().__init__(message)
        self.sheets = sheets or {}


def delimiter_name(delimiter):
    return {",": _("comma"), ";": _("semicolon"), "\t": _("tab"), "|": _("vertical bar")}.get(delimiter, delimiter)


# --- What kind of file is it ---------------------------------------------------------------------------------

_SIGNATURES = (
    (b"%PDF", lambda: _("This is a PDF document, not a table. Export the list from your spreadsheet as CSV or "
                        ".xlsx instead.")),
    (b"\x89PNG", lambda: _("This is a picture, not a table. Choose the CSV or spreadsheet file.")),
    (b"\xff\xd8\xff", lambda: _("This is a picture, not a table. Choose the CSV or spreadsheet file.")),
    (b"GIF8", lambda: _("This is a picture, not a table. Choose the CSV or spreadsheet file.")),
    (b"\xd0\xcf\x11\xe0", lambda: _("This is an old Excel (.xls) or Word file. Open it and save it as .xlsx or "
                                    "CSV, then import that.")),
)


def read_upload(filename, raw, sheet=None):
    """(text, sheets): the file as CSV text, and the sheet names when it was a workbook.

    Raises FileProblem for anything that is not a readable table; for a workbook with several sheets holding
    data and no `sheet` chosen, the problem carries their names so the page can ask which one.
    """
    if len(raw) > MAX_BYTES:
        raise FileProblem(_("The file is larger than %(mb)d MB. Split it into smaller files.",
                            mb=MAX_BYTES // (1024 * 1024)))
    if not raw.strip():
        raise FileProblem(_("The file is empty."))
    for signature, message in _SIGNATURES:
        if raw.startswith(signature):
            raise FileProblem(message())
    if raw.startswith(b"PK\x03\x04"):
        return _read_workbook(filename, raw, sheet)
    return decode(raw), []


def decode(raw):
    """Text from UTF-8 (with or without BOM), UTF-16 with BOM, or the Windows encoding spreadsheets use."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" in raw[:8192]:
        raise FileProblem(_("This file is not text: it looks like a program or a document, not a CSV. "
                            "Export the list from your spreadsheet as CSV or .xlsx."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem(_("The file's characters could not be read (it is neither UTF-8 nor the Windows "
                        "encoding). Save it again as “CSV UTF-8” and import that."))


# --- Spreadsheets --------------------------------------------------------------------------------------------

def _cell_text(value):
    """A spreadsheet cell as the text a CSV export would have: dates in ISO form, whole numbers without .0."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheets_of_xlsx(raw):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        return {sheet.title: [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
                for sheet in workbook.worksheets}
    finally:
        workbook.close()


def _sheets_of_ods(raw):
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    return {name: [[_cell_text(v) for v in row] for row in workbook.get_sheet_by_name(name).to_python()]
            for name in workbook.sheet_names}


def _read_workbook(filename, raw, sheet):
    try:
        names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    except zipfile.BadZipFile:
        raise FileProblem(_("The file is damaged: it starts like a spreadsheet but cannot be opened."))
    try:
        if "xl/workbook.xml" in names:
            sheets = _sheets_of_xlsx(raw)
        elif "content.xml" in names and "mimetype" in names:
            sheets = _sheets_of_ods(raw)
        else:
            raise FileProblem(_("This is a compressed (zip) file, not a spreadsheet. Unpack it and import the CSV "
                                "or spreadsheet inside."))
    except FileProblem:
        raise
    except Exception:  # a workbook library may fail in many ways on a damaged file; the person needs one answer
        raise FileProblem(_("The spreadsheet could not be opened: it may be damaged or protected with a "
                            "password. Open it, save it again (or as CSV) and import that."))
    with_data = {name: _trim(rows) for name, rows in sheets.items()}
    with_data = {name: _as_csv(rows) for name, rows in with_data.items() if rows}
    if sheet is not None:
        if sheet not in with_data:
            raise FileProblem(_("The sheet “%(name)s” is empty or missing. Choose the sheet that holds the list.",
                                name=sheet), with_data)
        return with_data[sheet], list(sheets)
    if not with_data:
        raise FileProblem(_("Every sheet of the workbook is empty."))
    if len(with_data) > 1:
        raise FileProblem(_("The workbook has several sheets with data. Choose the one to import."), with_data)
    return next(iter(with_data.values())), list(sheets)


def _as_csv(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _trim(rows):
    """The rows without trailing empty rows and columns (spreadsheets keep formatted but empty cells)."""
    rows = [row for row in rows]
    while rows and not any(cell for cell in rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, c in enumerate(row) if c), default=0) for row in rows), default=0)
    return [row[:width] + [""] * (width - len(row)) for row in rows] if width else []


# --- CSV text to a table -------------------------------------------------------------------------------------

def sniff_delimiter(text):
    """The delimiter that splits the first lines into the same number (two or more) of columns, or None."""
    sample = "\n".join(text[:16384].splitlines()[:20])
    try:
        found = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        found = None
    if found and _width(sample, found) >= 2:
        return found
    widths = {d: _width(sample, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: widths[d])
    return best if widths[best] >= 2 else None


def _width(sample, delimiter):
    try:
        first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    except csv.Error:
        return 0
    return len([cell for cell in first if cell.strip()])


def read_table(text, delimiter=None):
    """(header, rows, delimiter). Raises FileProblem when no delimiter gives a header of two or more columns."""
    delimiter = delimiter or sniff_delimiter(text)
    if delimiter is None:
        raise FileProblem(_("The first line should name the columns (e.g. name, email, phone…), separated by "
                            "commas, semicolons, tabs or vertical bars — all four were tried. If your file uses "
                            "another separator, type it below."))
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        raise FileProblem(_("The file is not a well-formed CSV with the separator “%(sep)s” (a quote is never "
                            "closed, or a line is broken). Check the separator or save the file again.",
                            sep=delimiter_name(delimiter)))
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise FileProblem(_("The file is empty."))
    header = [cell.strip() for cell in rows[0]]
    if len([h for h in header if h]) < 2:
        raise FileProblem(_("The first line should name the columns (e.g. name, email, phone…), separated by "
                            "“%(sep)s”. Check the separator.", sep=delimiter_name(delimiter)))
    return header, rows[1:], delimiter


# --- How the file writes its numbers (the mapping pages of every import) -------------------------------------

def notation_from_form(settings, form):
    """The person's choice of number notation on a mapping page. A choice made while the page said the numbers
    read both ways counts as confirmed (the `number_notation_seen` mark); otherwise it is the file's own."""
    from sales.numbers import NOTATIONS

    chosen = form.get("number_notation", "")
    if chosen in NOTATIONS:
        settings.number_notation = chosen
        settings.number_notation_chosen = form.get("number_notation_seen") == "1" or not settings.numbers_ambiguous


def number_choice_problem(settings):
    """The mapping page's problem when the numbers read both ways and nobody said how they are written."""
    if settings.needs_number_choice():
        return _("The amounts in the file read two ways (1.200 is one thousand two hundred, or one point two): say "
                 "how its numbers are written.")
    return None
