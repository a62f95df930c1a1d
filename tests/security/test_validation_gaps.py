"""Input that used to answer 500 or be silently accepted (issue 21): cells that are not numbers in an
import, a preview that passed rows the confirmation then refused, two steps with one key, a time limit
of 0, dates in year 1 or 9999 and unbounded whole numbers. Each is refused with a message naming the
field (the page shows it, the API answers 400) and nothing is stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

HEADER = "indicator,process,period_start,period_end,value,observations,cases,external_id,note\n"


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _upload(client, rows: list[str], name="figures.csv"):
    body = (HEADER + "".join(f"{row}\n" for row in rows)).encode()
    return client.post(reverse("metrics:measurement-import"), {"file": SimpleUploadedFile(name, body)})


def _page_errors(response) -> str:
    return response.content.decode()


# Imports: every cell that is not a number is a row error
# ------------------------------------------------------------------------------
NOT_NUMBERS = ["²", "½", "1e309", "NaN", "inf", "١٢", '"1,5"', "12abc", ""]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_count_cell_that_is_not_a_whole_number_is_a_row_error(world, text):
    from metrics.models import Measurement

    before = Measurement.objects.count()
    row = f"cycle-time,order-processing,2026-01-01,2026-01-31,5,{text or 'x'},,,"
    if not text:
        row = "cycle-time,order-processing,2026-01-01,2026-01-31,5,10,x,,"
    response = _upload(_client(world["specialist"]), [row])
    assert response.status_code == 400
    page = _page_errors(response)
    assert "Row 2:" in page
    assert "is not a number" in page
    assert 'name="token"' not in page
    assert Measurement.objects.count() == before


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_value_cell_that_is_not_a_number_is_a_row_error_naming_column_and_value(world, text):
    response = _upload(_client(world["specialist"]), [f"cycle-time,order-processing,2026-01-01,2026-01-31,{text},,,,"])
    assert response.status_code == 400
    page = _page_errors(response)
    assert "Row 2: value" in page
    shown = text.strip('"')
    assert ("(empty)" if not text else f"“{shown}”") in page
    assert 'name="token"' not in page


def test_full_width_digits_and_thousands_separators_are_read(world):
    client = _client(world["specialist"])
    response = _upload(client, ['cycle-time,order-processing,２０２６-０１-０１,2026/1/31,１２．５,"1,200",１２,,'])
    assert response.status_code == 200, _page_errors(response)
    assert 'name="token"' in response.content.decode()
    assert response.context["rows"][0]["value"] == "12.5"
    assert response.context["rows"][0]["sample_size"] == 1200


def test_the_row_error_is_in_chinese_for_a_chinese_user(world):
    client = _client(world["specialist"])
    client.cookies["django_language"] = "zh-hans"
    response = _upload(client, ["cycle-time,order-processing,2026-01-01,2026-01-31,²,,,,"])
    assert response.status_code == 400
    assert "不是数字" in _page_errors(response)


def test_an_xlsx_with_text_in_a_number_column_is_a_row_error(world):
    from tests.security.test_bad_input import _xlsx

    rows = [HEADER.strip().split(","), ["cycle-time", "order-processing", "2026-01-01", "2026-01-31", 5, "²"]]
    client = _client(world["specialist"])
    upload = SimpleUploadedFile("figures.xlsx", _xlsx(rows))
    response = client.post(reverse("metrics:measurement-import"), {"file": upload})
    assert response.status_code == 400
    assert "observations “²” is not a number" in _page_errors(response)


@pytest.mark.parametrize(
    ("start", "message"),
    [("0001-01-01", "between the years"), ("9999-12-31", "between the years"), ("2026-02-30", "is not a date")],
)
def test_import_dates_outside_the_window_or_impossible_are_row_errors(world, start, message):
    response = _upload(_client(world["specialist"]), [f"cycle-time,order-processing,{start},9999-12-31,5,,,,"])
    assert response.status_code == 400
    assert message in _page_errors(response)


# Imports: the preview runs what the confirmation runs
# ------------------------------------------------------------------------------
def test_the_preview_shows_the_rows_the_confirmation_would_refuse(world):
    """Each row passed the old preview and failed (or was silently merged) at confirm."""
    from metrics.models import Measurement

    before = Measurement.objects.count()
    rows = [
        "cycle-time,order-processing,2026-01-01,2026-01-31,5,,,dup-1,",
        "cycle-time,order-processing,2026-02-01,2026-02-28,6,,,dup-1,",  # the same external id: one was lost
        "cycle-time,order-processing,2026-03-01,2026-03-31,12345678901234,,,,",  # over the column's 10 digits
        "cycle-time,order-processing,2026-04-01,2026-04-30,5,3000000000,,,",  # over a PostgreSQL integer
    ]
    client = _client(world["specialist"])
    response = _upload(client, rows)
    assert response.status_code == 400
    page = _page_errors(response)
    assert "Row 3: the external id &#x27;dup-1&#x27; is also on row 2" in page
    assert "Row 4: value:" in page
    assert "Row 5: observations" in page and "2147483647" in page
    assert 'name="token"' not in page
    assert Measurement.objects.count() == before


def test_an_external_id_of_another_department_neither_clashes_nor_is_touched_by_the_preview(world):
    """External ids are keyed per process (issue 21, hole 3): another department's row with the same id
    is neither found, revealed nor moved; the preview offers the row as the caller's own."""
    from metrics.models import Indicator, Measurement
    from processes.models import Process

    complaint = Process.objects.get(code="complaint-handling")
    theirs = Measurement.objects.create(
        indicator=Indicator.objects.get(code="cycle-time"),
        process=complaint,
        period_start="2026-01-01",
        period_end="2026-01-31",
        value=5,
        source="api",
        external_id="theirs-1",
    )
    before = Measurement.objects.count()
    client = _client(world["manager"])
    response = _upload(client, ["cycle-time,order-processing,2026-01-01,2026-01-31,7,,,theirs-1,"])
    page = _page_errors(response)
    assert response.status_code == 200, page
    assert 'name="token"' in page
    assert "complaint" not in page.lower()
    assert Measurement.objects.count() == before
    theirs.refresh_from_db()
    assert (theirs.process, theirs.value) == (complaint, 5)


def test_a_clean_preview_confirms_every_row(world):
    from metrics.models import Measurement

    before = Measurement.objects.count()
    client = _client(world["specialist"])
    rows = [
        "cycle-time,order-processing,2026-01-01,2026-01-31,5,10,2,a-1,",
        "error-rate,order-processing,2026-01-01,2026-01-31,3%,100,3,a-2,",
    ]
    response = _upload(client, rows)
    assert response.status_code == 200, _page_errors(response)
    assert Measurement.objects.count() == before  # the preview's run was rolled back
    token = response.context["token"]
    response = client.post(reverse("metrics:measurement-import"), {"token": token})
    assert response.status_code == 302
    assert Measurement.objects.count() == before + 2


# Steps: one key per step, no time limit of 0
# ------------------------------------------------------------------------------
VERSIONS = "/api/v1/processes/standard-versions/"


def _draft(client):
    from processes.models import StandardVersion

    draft = StandardVersion.objects.filter(status="draft", steps__time_limit__isnull=False).distinct().first()
    response = client.get(f"{VERSIONS}{draft.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_two_steps_with_one_key_answer_400_on_the_second_steps_key(world):
    from processes.models import Step

    client = _api(world["specialist"])
    draft = _draft(client)
    steps = draft["steps"]
    count = len(steps)
    steps[1]["key"] = steps[0]["key"]
    response = client.patch(f"{VERSIONS}{draft['id']}/", {"steps": steps}, format="json")
    assert response.status_code == 400, response.content
    assert "same key" in response.json()["steps[2].key"][0]
    assert Step.objects.filter(version_id=draft["id"]).count() == count


def test_two_new_steps_with_one_new_key_answer_400_not_500(world):
    import uuid

    client = _api(world["specialist"])
    draft = _draft(client)
    steps = draft["steps"]
    key = str(uuid.uuid4())
    steps.append({**steps[0], "key": key, "name_en": "extra one"})
    steps.append({**steps[0], "key": key, "name_en": "extra two"})
    response = client.patch(f"{VERSIONS}{draft['id']}/", {"steps": steps}, format="json")
    assert response.status_code == 400, response.content
    assert f"steps[{len(steps)}].key" in response.json()


@pytest.mark.parametrize("limit", ["0", "0.00", "-1"])
def test_a_step_time_limit_of_zero_or_less_answers_400(world, limit):
    from processes.models import Step

    client = _api(world["specialist"])
    draft = _draft(client)
    steps = draft["steps"]
    before = steps[0]["time_limit"]
    steps[0]["time_limit"] = limit
    response = client.patch(f"{VERSIONS}{draft['id']}/", {"steps": steps}, format="json")
    assert response.status_code == 400, response.content
    assert "steps[1].time_limit" in response.json() or "time_limit" in str(response.json())
    step = Step.objects.get(version_id=draft["id"], key=steps[0]["key"])
    assert (None if step.time_limit is None else str(step.time_limit)) == before


def test_an_empty_time_limit_still_means_no_limit(world):
    client = _api(world["specialist"])
    draft = _draft(client)
    steps = draft["steps"]
    limited = [s for s in steps if s["time_limit"] is not None]
    assert len(limited) >= 2
    limited[-1]["time_limit"] = None
    response = client.patch(f"{VERSIONS}{draft['id']}/", {"steps": steps}, format="json")
    assert response.status_code == 200, response.content


def _formset_post(version) -> dict:
    """The template 2 page's form as the browser sends it, from the draft's current rows."""
    from processes import forms as standard_forms

    data = {}
    form = standard_forms.VersionForm(instance=version)
    for name in form.fields:
        data[name] = form.initial.get(name) or ""
    for prefix, formset in standard_forms.version_formsets(version).items():
        data[f"{prefix}-TOTAL_FORMS"] = str(len(formset.forms))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(formset.forms))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "200"
        for index, row in enumerate(formset.forms):
            for name in row.fields:
                value = row.initial.get(name)
                if name == "ORDER":
                    value = index + 1
                if name == "DELETE" or value is None or value is False:
                    continue
                data[f"{prefix}-{index}-{name}"] = "on" if value is True else str(value)
    return data


def test_the_template2_page_refuses_two_steps_with_one_key(world):
    from processes.models import StandardVersion, Step

    client = _api(world["specialist"])
    draft = StandardVersion.objects.get(pk=_draft(client)["id"])
    count = draft.steps.count()
    data = _formset_post(draft)
    data["steps-1-key"] = data["steps-0-key"]
    page = _client(world["specialist"]).post(reverse("standards:version-edit", args=[draft.pk]), data)
    assert page.status_code == 400
    assert "Row 1 has the same key" in page.content.decode()
    assert Step.objects.filter(version=draft).count() == count


def test_the_template2_page_refuses_a_time_limit_of_zero(world):
    from processes.models import StandardVersion

    client = _api(world["specialist"])
    draft = StandardVersion.objects.get(pk=_draft(client)["id"])
    data = _formset_post(draft)
    ok = _client(world["specialist"]).post(reverse("standards:version-edit", args=[draft.pk]), data)
    assert ok.status_code == 302, ok.content.decode()[:3000]
    data["steps-0-time_limit"] = "0"
    page = _client(world["specialist"]).post(reverse("standards:version-edit", args=[draft.pk]), data)
    assert page.status_code == 400
    assert "A time limit must be more than 0" in page.content.decode()


# Dates in a window, bounded whole numbers
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_api_dates_outside_1900_to_2999_answer_400_with_the_field(world, day):
    from metrics.models import Measurement

    before = Measurement.objects.count()
    body = {
        "indicator": "cycle-time",
        "process": "order-processing",
        "period_start": day,
        "period_end": "2026-01-31",
        "value": "5",
    }
    response = _api(world["specialist"]).post("/api/v1/metrics/measurements/", body, format="json")
    assert response.status_code == 400, response.content
    assert "between the years 1900 and 2999" in response.json()["period_start"][0]
    assert Measurement.objects.count() == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_page_dates_outside_the_window_are_form_errors(world, day):
    from metrics.models import Measurement

    before = Measurement.objects.count()
    from metrics.models import Indicator
    from processes.models import Process

    data = {
        "indicator": Indicator.objects.get(code="cycle-time").pk,
        "process": Process.objects.get(code="order-processing").pk,
        "period_start": "2026-01-01",
        "period_end": day,
        "value": "5",
    }
    response = _client(world["specialist"]).post(reverse("metrics:measurements"), data)
    assert response.status_code == 400
    assert "between the years 1900 and 2999" in response.content.decode()
    assert Measurement.objects.count() == before


def test_phase_days_of_ten_to_the_twelfth_answers_400(world):
    from processes.models import ImprovementProject

    project = ImprovementProject.objects.first()
    before = project.phase_days
    client = _api(world["director"])
    response = client.patch(f"/api/v1/projects/projects/{project.pk}/", {"phase_days": 10**12}, format="json")
    assert response.status_code == 400, response.content
    assert "phase_days" in response.json()
    project.refresh_from_db()
    assert project.phase_days == before


def test_a_template1_row_with_an_absurd_step_time_is_a_row_error_not_a_500(world):
    from processes.models import AsIsStep, CurrentStateAnalysis, ImprovementProject

    project = ImprovementProject.objects.order_by("pk").first()
    process = project.processes.first()
    before = (CurrentStateAnalysis.objects.count(), AsIsStep.objects.count())
    body = "process,owner,current state,pain points,risk\n"
    body += f"{process.code},Li,order (99999999999 h) -> review (2 h),slow,high\n"
    upload = SimpleUploadedFile("t1.csv", body.encode())
    response = _client(world["specialist"]).post(reverse("projects:template1", args=[project.pk]), {"file": upload})
    assert response.status_code == 400
    assert "Row 2:" in response.content.decode()
    assert (CurrentStateAnalysis.objects.count(), AsIsStep.objects.count()) == before
