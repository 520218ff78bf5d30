"""`.xlsx` downloads beside the CSV ones, in the same columns with the same values — written with openpyxl, with
dates as real dates and amounts as numbers, so the file opens in a spreadsheet ready to sort and sum, and the
imports (sales/import_files.py) read it back as they read the CSV."""
import io
from datetime import date, datetime
from decimal import Decimal

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, bool) or value is None:
        cell = WriteOnlyCell(sheet, value=value)
    elif isinstance(value, (int, float, Decimal)):
        cell = WriteOnlyCell(sheet, value=value)
    else:
        text = str(value)
        cell = WriteOnlyCell(sheet, value=text)
        # A text that starts with = is data, not a formula for the spreadsheet to run.
        cell.data_type = "s"
    return cell


def xlsx_bytes(header, rows, title="Export"):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([_cell(sheet, name) for name in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename, header, rows):
    """The whole workbook at once: a zip cannot be streamed row by row as a CSV can."""
    response = Response(xlsx_bytes(header, rows, filename.rsplit(".", 1)[0]), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
