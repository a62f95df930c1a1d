import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from metrics.models import Measurement
from processes import demo

pytestmark = pytest.mark.django_db

HEADER = "indicator,process,period_start,period_end,value,observations,cases,external_id\n"


@pytest.fixture
def client_in(client, org, users):
    demo.load_processes()
    client.force_login(users["manager"])
    return client


def test_a_malformed_file_stores_nothing_and_names_the_bad_rows(client_in):
    text = (
        HEADER
        + "cycle-time,order-processing,2026-01-01,2026-01-31,7,120,,jan\n"
        + "nope,order-processing,2026-02-01,2026-02-28,7,,,\n"
        + "error-rate,order-processing,2026-03-31,2026-03-01,abc,10,20,\n"
        + "complaint-rate,complaint-handling,2026-01-01,2026-01-31,12,100,12,\n"
    )
    response = client_in.post("/metrics/measurements/import/", {"file": SimpleUploadedFile("b.csv", text.encode())})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Row 3: unknown indicator &#x27;nope&#x27;" in html
    row4 = [
        "the period ends before it starts",
        "value “abc” is not a number (digits 0-9, a point for decimals)",
        "more cases than observations",
    ]
    assert "Row 4: " + "; ".join(row4) in html
    assert "Row 5: unknown process &#x27;complaint-handling&#x27;" in html  # another department's process
    assert "Import these rows" not in html
    assert Measurement.objects.count() == 0


def test_preview_then_confirm_imports_all_rows(client_in):
    rows = [
        "cycle-time,order-processing,2026-01-01,2026-01-31,7,120,,jan",
        "error-rate,order-processing,2026-01-01,2026-01-31,3%,1000,30,",
    ]
    text = HEADER + "\n".join(rows) + "\n"
    response = client_in.post(
        "/metrics/measurements/import/", {"file": SimpleUploadedFile("b.csv", text.encode("utf-8-sig"))}
    )
    assert response.status_code == 200 and Measurement.objects.count() == 0  # only a preview so far
    token = response.context["token"]
    assert client_in.post("/metrics/measurements/import/", {"token": token}).status_code == 302
    assert Measurement.objects.count() == 2
    rate = Measurement.objects.get(indicator__code="error-rate")
    assert (rate.value, rate.sample_size, rate.numerator, rate.source) == (3, 1000, 30, "import")
    # the token is used up: confirming twice stores nothing more
    client_in.post("/metrics/measurements/import/", {"token": token})
    assert Measurement.objects.count() == 2


def test_an_image_behind_a_csv_name_is_refused(client_in):
    upload = SimpleUploadedFile("b.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    response = client_in.post("/metrics/measurements/import/", {"file": upload})
    assert response.status_code == 400 and Measurement.objects.count() == 0
