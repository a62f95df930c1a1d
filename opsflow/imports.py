"""Reading uploaded tables (CSV or XLSX) row by row, with the line numbers people see in their file."""

import csv
import io
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ROWS = 100_000


def read_table(upload) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line number, cells), ...]) of an uploaded .csv or .xlsx; cells are stripped strings."""
    name = upload.name.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(upload)
    if name.endswith(".csv"):
        return _read_csv(upload)
    raise ValidationError(_("Upload a .csv or .xlsx file."))


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(upload):
    from openpyxl import load_workbook

    data = upload.read()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationError(_("This is not an Excel (.xlsx) file."))
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise ValidationError(_("The Excel file cannot be read: %(error)s") % {"error": exc}) from None
    rows = []
    header = None
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        if header is None:
            header = cells
            continue
        if any(cells):
            rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise ValidationError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    return header or [], rows


def _read_csv(upload):
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # Excel on Chinese Windows saves CSV in GBK
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not text in UTF-8 or GBK.")) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    rows = []
    for number, cells in enumerate(reader, start=2):
        cells = [c.strip() for c in cells]
        if any(cells):
            rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise ValidationError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    return header, rows
