"""Reading uploaded tables (CSV or XLSX) row by row, with the line numbers people see in their file.

Uploads are untrusted: a file whose content is not what its name says, an XLSX that would expand to
far more than it weighs (a "zip bomb"), a binary file named .csv or an absurdly long cell is refused
with a message, before anything is parsed or stored."""

import csv
import io
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
