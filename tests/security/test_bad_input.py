"""Bad input: malformed and oversize JSON, unknown and read-only fields, wrong types, huge strings,
uploads that are not what they claim (a PNG named .xlsx, an oversize file, an XLSX zip bomb), script
text in free-text fields, and formula cells in exports. Each is refused with a clear message (400/413)
and stores nothing, or, for script text, is shown as text."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.security import free_text

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" + (
    b"\x00" * 64
)


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# JSON
# ------------------------------------------------------------------------------
def test_malformed_json_is_400_with_the_parse_error(world):
    from processes.models import Process

    before = Process.objects.count()
    client = _api(world["specialist"])
    for body in ('{"code": "x", bad', "[1, 2]", '"text"', "\x00\x01", '{"code": '):
        response = client.post("/api/v1/processes/processes/", body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
        assert response.json(), body
    response = client.post("/api/v1/processes/processes/", '{"code": "x", bad', content_type="application/json")
    assert "JSON parse error" in response.json()["detail"]
    assert Process.objects.count() == before


def test_oversize_json_is_413_and_nothing_is_read(world, settings):
    from processes.models import Process

    before = Process.objects.count()
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"code": "big", "name_en": "x", "description_en": "x" * (limit + 10)})
    response = _api(world["specialist"]).post("/api/v1/processes/processes/", body, content_type="application/json")
    assert response.status_code == 413, response.content[:200]
    assert "larger than" in response.json()["detail"]
    assert Process.objects.count() == before


def test_unknown_fields_are_ignored_and_read_only_fields_not_written(world):
    from processes.choices import VersionStatus
    from processes.models import Department, Process, StandardVersion

    user = world["specialist"]
    sales = Department.objects.get(code="sales")
    data = {
        "code": "bad-input",
        "name_en": "Bad input",
        "department": sales.pk,
        "bogus": "ignored",
        "id": 987654,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
    }
    response = _api(user).post("/api/v1/processes/processes/", data, format="json")
    assert response.status_code == 201, response.content
    process = Process.objects.get(code="bad-input")
    assert process.pk != 987654 and process.created_at.year != 2000
    assert "bogus" not in response.json()
    # a new version cannot be created published, approved or written by someone else
    data = {"process": process.pk, "status": VersionStatus.PUBLISHED, "author": world["director"].pk}
    data |= {"approved_by": world["director"].pk, "number": 99}
    response = _api(user).post("/api/v1/processes/standard-versions/", data, format="json")
    assert response.status_code == 201, response.content
    version = StandardVersion.objects.get(pk=response.json()["id"])
    assert version.status == VersionStatus.DRAFT
    assert version.author_id == user.pk and version.approved_by_id is None and version.number == 1
    # nor turned published by an edit
    response = _api(user).patch(
        f"/api/v1/processes/standard-versions/{version.pk}/", {"status": VersionStatus.PUBLISHED}, format="json"
    )
    assert response.status_code in (200, 412, 428), response.content
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_wrong_types_and_huge_strings_are_400_with_field_messages(world):
    from opsflow.api.fields import TEXT_MAX_LENGTH
    from processes.models import Department, Process

    before = Process.objects.count()
    client = _api(world["specialist"])
    sales = Department.objects.get(code="sales").pk
    cases = [
        ({"code": "t1", "name_en": ["a list"], "department": sales}, "name_en"),
        ({"code": "t2", "name_en": "ok", "department": "sales"}, "department"),
        ({"code": "t3", "name_en": "ok", "department": 10**12}, "department"),
        ({"code": "t4", "name_en": {"an": "object"}, "department": sales}, "name_en"),
        ({"code": "t5", "name_en": "x" * 100_000, "department": sales}, "name_en"),
        ({"code": "t6", "name_en": "ok", "department": sales, "description_en": "x" * (TEXT_MAX_LENGTH + 1)}, None),
        ({"code": "t7", "name_en": "a\x00b", "department": sales}, "name_en"),
        ({"code": "x" * 5000, "name_en": "ok", "department": sales}, "code"),
    ]
    for data, field in cases:
        response = client.post("/api/v1/processes/processes/", data, format="json")
        assert response.status_code == 400, (data.get("code"), response.content[:200])
        assert field is None or field in response.json(), (field, response.content[:200])
    assert "description_en" in client.post("/api/v1/processes/processes/", cases[5][0], format="json").json()
    # a time limit that is not a number, a step list that is not a list
    response = client.post(
        "/api/v1/processes/standard-versions/", {"process": "one", "steps": "not a list"}, format="json"
    )
    assert response.status_code == 400
    assert Process.objects.count() == before


def test_huge_strings_in_a_page_form_store_nothing(world):
    from processes.models import Department, Process

    before = Process.objects.count()
    sales = Department.objects.get(code="sales").pk
    data = {"code": "huge", "name_en": "x" * 100_000, "department": sales}
    response = _client(world["specialist"]).post(reverse("standards:process-create"), data)
    assert response.status_code in (200, 400)
    assert "200 characters" in response.content.decode()
    assert Process.objects.count() == before


# Uploads
# ------------------------------------------------------------------------------
def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_bomb(expanded_mb: int = 210) -> bytes:
    """A valid-looking XLSX (a few hundred KB) whose sheet XML unpacks to ``expanded_mb`` MB."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["indicator", "value"], ["a", 1]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(info, source.read(info))
                continue
            with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                member.write(b'<?xml version="1.0"?><worksheet><sheetData>')
                chunk = b" " * (1024 * 1024)
                for _ in range(expanded_mb):
                    member.write(chunk)
                member.write(b"</sheetData></worksheet>")
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024
    return data


BAD_UPLOADS = {
    "png-as-xlsx": (lambda: SimpleUploadedFile("figures.xlsx", PNG), "not an Excel"),
    "png-as-csv": (lambda: SimpleUploadedFile("figures.csv", PNG), "not a CSV"),
    "zip-as-xlsx": (lambda: SimpleUploadedFile("figures.xlsx", _zip_with_text()), "cannot be read"),
    "zip-bomb": (lambda: SimpleUploadedFile("figures.xlsx", _zip_bomb()), "unpacks to more than"),
    "oversize": (lambda: SimpleUploadedFile("figures.csv", b"a,b\n" + b"1,2\n" * (6 * 1024 * 1024)), "larger than"),
    "huge-cell": (lambda: SimpleUploadedFile("figures.csv", b"a,b\n" + b"x" * 200_000 + b",2\n"), "field larger than"),
    "long-cell": (lambda: SimpleUploadedFile("figures.csv", b"a,b\n" + b"x" * 20_000 + b",2\n"), "longer than"),
    "pdf-named-exe": (lambda: SimpleUploadedFile("figures.exe", b"%PDF-1.4"), "Upload a"),
}


def _zip_with_text() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_measurement_import_refuses_bad_files_and_stores_nothing(world, kind):
    from metrics.models import Measurement

    make, message = BAD_UPLOADS[kind]
    before = Measurement.objects.count()
    response = _client(world["specialist"]).post(reverse("metrics:measurement-import"), {"file": make()})
    assert response.status_code in (400, 413), response.status_code
    assert message in response.content.decode(), kind
    assert Measurement.objects.count() == before
    assert 'name="token"' not in response.content.decode()  # nothing stashed for a confirmation either


@pytest.mark.parametrize("kind", ["png-as-xlsx", "zip-bomb", "oversize", "png-as-csv"])
def test_template1_import_refuses_bad_files_and_stores_nothing(world, kind):
    from processes.models import AsIsStep, CurrentStateAnalysis, ImprovementProject

    make, message = BAD_UPLOADS[kind]
    project = ImprovementProject.objects.order_by("pk").first()
    before = (CurrentStateAnalysis.objects.count(), AsIsStep.objects.count())
    response = _client(world["specialist"]).post(reverse("projects:template1", args=[project.pk]), {"file": make()})
    assert response.status_code in (400, 413), response.status_code
    assert message in response.content.decode(), kind
    assert (CurrentStateAnalysis.objects.count(), AsIsStep.objects.count()) == before


@pytest.mark.parametrize("kind", ["png-as-csv", "png-as-xlsx"])
def test_event_log_refuses_binary_files(world, kind):
    from processes.models import ImprovementProject

    make, _message = BAD_UPLOADS[kind]
    project = ImprovementProject.objects.order_by("pk").first()
    response = _client(world["specialist"]).post(reverse("projects:event-log", args=[project.pk]), {"file": make()})
    assert response.status_code == 400
    html = response.content.decode()
    assert "not a CSV text file" in html or "Upload a .csv" in html


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=100)  # spooled to a temporary file, as a big log is
def test_event_log_reads_a_large_upload_and_refuses_a_binary_one(world):
    from processes.models import ImprovementProject

    project = ImprovementProject.objects.order_by("pk").first()
    client = _client(world["specialist"])
    log = "case,activity,start,end\n" + "".join(
        f"c{n},Check,2026-01-0{1 + n % 5} 09:00,2026-01-0{1 + n % 5} 10:00\n" for n in range(20)
    )
    url = reverse("projects:event-log", args=[project.pk])
    response = client.post(url, {"file": SimpleUploadedFile("log.csv", log.encode())})
    assert response.status_code == 200, response.content.decode()[:500]
    response = client.post(url, {"file": SimpleUploadedFile("log.csv", PNG * 10)})
    assert response.status_code == 400
    assert "not a CSV text file" in response.content.decode()


def test_holiday_import_refuses_binary_and_oversize_files(world, tmp_path: Path):
    from processes.models import CalendarDay

    before = CalendarDay.objects.count()
    png = tmp_path / "2027.csv"
    png.write_bytes(PNG)
    with pytest.raises(CommandError, match="Cannot read|Nothing was stored"):
        call_command("importholidays", "--from-file", str(png))
    big = tmp_path / "big.csv"
    big.write_text("2027-01-01,day_off,New Year's Day,元旦\n" * 40_000)
    with pytest.raises(CommandError, match="larger than"):
        call_command("importholidays", "--from-file", str(big))
    assert CalendarDay.objects.count() == before


# Script text is shown as text
# ------------------------------------------------------------------------------
def test_script_in_free_text_is_escaped_in_pages_and_chart_data(world):
    free_text.plant(PAYLOAD)
    client = _client(world["admin"])
    for url in free_text.pages():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        # chart data: JSON inside <script type="application/json"> cannot close its element
        for block in html.split('<script type="application/json">')[1:]:
            data = block.split("</script>", 1)[0]
            assert "<" not in data, url
            figure = json.loads(data)
            text = json.dumps(figure)
            assert "<script" not in text, f"{url}: a chart label holds markup plotly would read"


def test_the_flowchart_title_cannot_break_out_of_its_attribute(world):
    from processes.documents import flowchart

    svg = flowchart.render(
        [flowchart.Box('"><script>x</script>', ['" onload="alert(1)'])], start="a", end="b", title='x" onload="alert(1)'
    )
    assert 'onload="alert' not in svg and "<script>" not in svg
    assert "&quot;" in svg


# Exports
# ------------------------------------------------------------------------------
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_exports_neutralise_formula_cells(world):
    from openpyxl import load_workbook

    from opsflow.exports import Sheet, csv_response, xlsx_bytes

    response = csv_response("x.csv", ["name"], [[f] for f in FORMULAS] + [[12], [-3.5]])
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1 : len(FORMULAS) + 1]] == ["'" + f for f in FORMULAS]
    assert rows[-1] == ["-3.5"]  # numbers stay numbers
    book = load_workbook(io.BytesIO(xlsx_bytes([Sheet("s", ["name"], [[f] for f in FORMULAS])])))
    values = [row[0].value for row in book.active.iter_rows(min_row=2)]
    assert len(values) == len(FORMULAS) and all(value.startswith("'") for value in values), values
    assert all(row[0].data_type != "f" for row in book.active.iter_rows(min_row=2))


def test_a_standard_export_neutralises_a_formula_in_a_step_name(world):
    from processes.models import StandardVersion, Step

    version = StandardVersion.objects.filter(steps__isnull=False).order_by("pk").first()
    Step.objects.filter(version=version).update(name_en="=1+1")
    response = _client(world["admin"]).get(reverse("standards:version-export", args=[version.pk, "csv"]))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "'=1+1" in text and ",=1+1" not in text
