"""Reading uploaded tables (CSV or XLSX) row by row, with the line numbers people see in their file.

Uploads are untrusted: a file whose content is not what its name says, an XLSX that would expand to
far more than it weighs (a "zip bomb"), a binary file named .csv or an absurdly long cell is refused
with a message, before anything is parsed or stored."""

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from opsflow.validation import MAX_INTEGER, YEAR_MAX, YEAR_MIN

MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024  # the upload itself (the forms say the same)
# An XLSX is a zip of XML; the sizes its members declare bound what unpacking them can produce
# (Python's zipfile stops at the declared size). 100k rows of a wide sheet stay well below this.
MAX_XLSX_EXPANDED = 200 * 1024 * 1024
MAX_CELL_CHARS = 10_000


def read_table(upload) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line number, cells), ...]) of an uploaded .csv or .xlsx; cells are stripped strings."""
    name = upload.name.lower()
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
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
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ValidationError(_("This is not an Excel (.xlsx) file.")) from None
    if expanded > MAX_XLSX_EXPANDED:
        raise ValidationError(
            _("The Excel file unpacks to more than %(mb)s MB; save the table as CSV or split it.")
            % {"mb": MAX_XLSX_EXPANDED // (1024 * 1024)}
        )
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise ValidationError(_("The Excel file cannot be read: %(error)s") % {"error": exc}) from None
    rows = []
    header = None
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = _checked([_cell(v) for v in values], number)
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
    if b"\x00" in raw:  # text never holds NUL bytes; images, archives and Excel files do
        raise ValidationError(_("This is not a CSV text file."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # Excel on Chinese Windows saves CSV in GBK
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not text in UTF-8 or GBK.")) from None
    reader = csv.reader(io.StringIO(text))
    rows = []
    try:
        header = _checked([h.strip() for h in next(reader, [])], 1)
        for number, cells in enumerate(reader, start=2):
            cells = _checked([c.strip() for c in cells], number)
            if any(cells):
                rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise ValidationError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    except csv.Error as exc:  # e.g. a field longer than the csv module accepts
        raise ValidationError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None
    return header, rows


def _checked(cells: list[str], line: int) -> list[str]:
    if any(len(cell) > MAX_CELL_CHARS for cell in cells):
        raise ValidationError(
            _("Line %(n)s: a cell is longer than %(max)s characters.") % {"n": line, "max": MAX_CELL_CHARS}
        )
    return cells


# Cells as numbers and dates
# ------------------------------------------------------------------------------
# One reading for every importer. Only the digits 0-9 count: str.isdigit() is also true of "²" (and
# int("²") raises, a 500), and Python's int() and Decimal() read Arabic-Indic and other scripts' digits
# that nobody checking the file would read the same way. Full-width digits and signs (１２．５, what
# a Chinese input method types in Excel) are the same characters in another width and are read as
# such. A point is the decimal separator; a comma only separates thousands (1,234 or 1,234.5), so "1,5"
# is an error rather than a guess. No exponents, NaN or infinity: a cell holds a figure, not a float.

FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋％／　", "0123456789.,-+%/ ")
NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+", re.ASCII)
DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?", re.ASCII)


def number_cell(text: str, *, column: str) -> Decimal:
    """The figure in a cell ("12", "-3.5", "1,234.5", "１２"); a ``ValidationError`` naming the column
    and the value otherwise (an empty cell included: callers decide whether a cell may be empty)."""
    normal = text.strip().translate(FULL_WIDTH)
    if not NUMBER.fullmatch(normal):
        raise ValidationError(
            _("%(column)s %(value)s is not a number (digits 0-9, a point for decimals)")
            % {"column": column, "value": _quoted(text)}
        )
    return Decimal(normal.replace(",", ""))


def whole_number_cell(text: str, *, column: str, minimum: int = 0, maximum: int = MAX_INTEGER) -> int:
    """A whole number from ``minimum`` to ``maximum`` (by default what a PostgreSQL integer column holds)."""
    value = number_cell(text, column=column)
    if value != value.to_integral_value():
        raise ValidationError(
            _("%(column)s %(value)s is not a whole number") % {"column": column, "value": _quoted(text)}
        )
    if not minimum <= value <= maximum:
        raise ValidationError(
            _("%(column)s %(value)s is not between %(min)s and %(max)s")
            % {"column": column, "value": _quoted(text), "min": minimum, "max": maximum}
        )
    return int(value)


def date_cell(text: str, *, column: str) -> date:
    """A date written YYYY-MM-DD (or YYYY/M/D, as Excel on Chinese Windows saves it) in the years
    1900 to 2999 (``opsflow.validation``)."""
    match = DATE.fullmatch(text.strip().translate(FULL_WIDTH))
    try:
        value = date(*(int(part) for part in match.groups())) if match else None
    except ValueError:  # 2026-02-30
        value = None
    if value is None:
        raise ValidationError(
            _("%(column)s %(value)s is not a date (YYYY-MM-DD)") % {"column": column, "value": _quoted(text)}
        )
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValidationError(
            _("%(column)s %(value)s is not between the years %(min)s and %(max)s")
            % {"column": column, "value": _quoted(text), "min": YEAR_MIN, "max": YEAR_MAX}
        )
    return value


def _quoted(text: str) -> str:
    shown = text if len(text) <= 40 else f"{text[:40]}…"
    return f"“{shown}”" if shown else _("(empty)")
