import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from opsflow import demo
from processes.models import Bottleneck, CurrentStateAnalysis, ImprovementProject
from processes.selectors import mapping
from processes.services import mapping as mapping_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org):
    demo.load_processes()
    demo.load_projects()
    return ImprovementProject.objects.get()


def test_the_seed_template_1_rows_render_and_export_with_steps_and_times(project, client, users):
    client.force_login(users["specialist"])
    html = client.get(f"/projects/{project.pk}/template1/").content.decode()
    assert "customer orders → manual review (4 h) → stock confirmation (2 h) → logistics hand-off (1 h)" in html
    assert "forwarded to the department concerned (no time limit)" in html
    assert html.count("<svg") == 2 and "fc-box--hot" in html  # each flow drawn, the slowest step marked
    response = client.get(f"/projects/{project.pk}/template1.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("Process", "Owner", "Current state (steps / time)", "Main pain points", "Risk level")
    assert rows[2][:2] == ("Order processing", "Sales, Min Wang") and rows[2][4] == "high"
    assert "manual review (4 h)" in rows[2][2]
    text = client.get(f"/projects/{project.pk}/template1.csv").content.decode("utf-8-sig")
    assert "complaint registered → forwarded" in text


def test_parse_flow_reads_times_as_people_write_them():
    steps = mapping.parse_flow("a -> b (avg 4 h) → c (30 min) -> d (no time limit) -> e (avg 3 days)")
    assert [(s["name_en"], s["hours"], s["time_limit_known"]) for s in steps] == [
        ("a", None, True),
        ("b", Decimal("4"), True),
        ("c", Decimal("0.50"), True),
        ("d", None, False),
        ("e", Decimal("72"), True),
    ]


def test_an_event_log_with_known_timings_gives_exact_durations_and_transitions():
    log = (
        "case,activity,start,end,role\n"
        "A,Review,2026-03-10 09:00,2026-03-10 11:00,sales\n"
        "A,Stock,2026-03-10 12:00,2026-03-10 12:30,warehouse\n"
        "B,Review,2026-03-10 10:00,2026-03-10 14:00,sales\n"
        "B,Stock,2026-03-10 16:00,2026-03-10 17:00,warehouse\n"
        "B,Ship,2026-03-10 17:00,2026-03-10 18:00,logistics\n"
        "C,Review,bad,2026-03-10 14:00,sales\n"
    )
    result = mapping.discover(io.StringIO(log))
    assert (result.cases, result.events) == (2, 5)
    assert result.errors == ["Line 7: start and end must be date-times (YYYY-MM-DD HH:MM)."]
    stats = {a.name: a for a in result.activities}
    assert [a.name for a in result.activities] == ["Review", "Stock", "Ship"]
    assert (stats["Review"].count, stats["Review"].mean, stats["Review"].median) == (2, 3.0, 3.0)
    assert stats["Stock"].mean == 0.75 and stats["Stock"].mean_wait == 1.5  # waited 1 h and 2 h
    assert stats["Ship"].mean_wait == 0.0 and stats["Review"].mean_wait is None
    assert stats["Review"].role == "sales"
    assert result.transitions == [
        ("Review", "Stock", 2),
        ("START", "Review", 2),
        ("Ship", "END", 1),
        ("Stock", "END", 1),
        ("Stock", "Ship", 1),
    ]


def test_event_log_page(project, client, users):
    client.force_login(users["specialist"])
    upload = SimpleUploadedFile("log.csv", b"case,activity,start,end\nA,Review,2026-03-10 09:00,2026-03-10 11:00\n")
    html = client.post(f"/projects/{project.pk}/event-log/", {"file": upload}).content.decode()
    assert "1 cases, 1 events" in html and "Review" in html
    bad = SimpleUploadedFile("log.csv", b"who,what\n1,2\n")
    response = client.post(f"/projects/{project.pk}/event-log/", {"file": bad})
    assert response.status_code == 400 and "Missing columns: case, activity, start, end." in response.content.decode()


def test_a_bottleneck_is_suggested_for_a_cross_department_step_without_a_time_limit(project, users):
    suggestion = Bottleneck.objects.get(project=project, kind="break_point")
    assert suggestion.state == "suggested" and suggestion.step == "forwarded to the department concerned"
    assert suggestion.evidence == "Hand-off from Customer Service to Sales has no time limit."
    assert mapping_services.bottleneck_suggest(project=project, user=users["specialist"]) == []  # made once only
    mapping_services.bottleneck_decide(bottleneck=suggestion, user=users["specialist"], accept=True)
    suggestion.refresh_from_db()
    assert suggestion.state == "accepted"


def _xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("t1.xlsx", buffer.getvalue())


def test_template_1_imports_from_xlsx_and_a_malformed_file_stores_nothing(project, client, users):
    client.force_login(users["specialist"])
    header = ["Process", "Owner", "Current state", "Pain points", "Risk"]
    before = CurrentStateAnalysis.objects.count()
    bad = _xlsx([header, ["order-processing", "Sales", "a (1 h) -> b (2 h)", "", "high"], ["nope", "", "", "", "huge"]])
    response = client.post(f"/projects/{project.pk}/template1/", {"file": bad})
    html = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported" in html
    assert "Row 3: unknown process &#x27;nope&#x27;" in html and "risk must be high, medium or low" in html
    assert CurrentStateAnalysis.objects.count() == before
    order = CurrentStateAnalysis.objects.get(process__code="order-processing")
    assert order.steps.count() == 4  # untouched
    not_excel = SimpleUploadedFile("t1.xlsx", b"plain text pretending")
    response = client.post(f"/projects/{project.pk}/template1/", {"file": not_excel})
    assert response.status_code == 400 and "This is not an Excel (.xlsx) file." in response.content.decode()
    good = _xlsx(
        [header, ["Order processing", "Sales, Min Wang", "order -> review (2 h) -> stock (1 h)", "", "medium"]]
    )
    assert client.post(f"/projects/{project.pk}/template1/", {"file": good}).status_code == 302
    order.refresh_from_db()
    assert [(s.name_en, s.hours) for s in order.steps.all()] == [
        ("order", None),
        ("review", Decimal("2")),
        ("stock", Decimal("1")),
    ]
    assert order.risk == "medium"


def test_template_1_form_saves_steps_in_order(project, client, users, departments):
    client.force_login(users["specialist"])
    data = {"process": project.processes.get(code="complaint-handling").pk, "owner": "CS", "risk": "low"}
    data |= {"steps-TOTAL_FORMS": 2, "steps-INITIAL_FORMS": 0, "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 1000}
    data |= {
        "steps-0-name_en": "Register",
        "steps-0-hours": "1",
        "steps-0-ORDER": "2",
        "steps-0-time_limit_known": "on",
    }
    data |= {"steps-1-name_en": "Reply", "steps-1-hours": "-1", "steps-1-ORDER": "1"}
    response = client.post(f"/projects/{project.pk}/analyses/new/", data)
    assert response.status_code == 400 and "greater than or equal to 0" in response.content.decode()
    data["steps-1-hours"] = "24"
    assert client.post(f"/projects/{project.pk}/analyses/new/", data).status_code == 302
    analysis = CurrentStateAnalysis.objects.get(process__code="complaint-handling")
    assert [s.name_en for s in analysis.steps.all()] == ["Reply", "Register"]


def _discover_in_memory(text):
    """The discovery as it was before it streamed: every event in Python lists, figures from the
    statistics module. The streaming one must give exactly the same result."""
    import csv
    import statistics
    from collections import Counter, defaultdict

    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    rows = list(csv.reader(io.StringIO(text)))[1:]
    cases = defaultdict(list)
    for case, activity, began, ended, resource in rows:
        b, e = (timezone.make_aware(parse_datetime(t)) for t in (began, ended))
        cases[case].append((b, e, activity, resource))
    durations, waits, ranks, roles = (defaultdict(list) for _ in range(4))
    transitions = Counter()
    for events in cases.values():
        events.sort()
        previous, previous_end = "START", None
        for rank, (b, e, activity, resource) in enumerate(events):
            durations[activity].append((e - b).total_seconds() / 3600)
            ranks[activity].append(rank)
            roles[activity].append(resource)
            if previous_end is not None:
                waits[activity].append(max(0.0, (b - previous_end).total_seconds() / 3600))
            transitions[(previous, activity)] += 1
            previous, previous_end = activity, e
        transitions[(previous, "END")] += 1
    stats = []
    for activity, values in durations.items():
        p90 = values[0] if len(values) < 2 else statistics.quantiles(values, n=10, method="inclusive")[8]
        stats.append(
            (
                activity,
                len(values),
                statistics.fmean(values),
                statistics.median(values),
                p90,
                statistics.fmean(waits[activity]) if waits[activity] else None,
                Counter(roles[activity]).most_common(1)[0][0],
                statistics.fmean(ranks[activity]),
            )
        )
    stats.sort(key=lambda s: (s[7], -s[1], s[0]))
    flows = sorted(((a, b, n) for (a, b), n in transitions.items()), key=lambda t: (-t[2], t[0], t[1]))
    return len(cases), len(rows), [s[:7] for s in stats], flows


def test_the_streamed_discovery_equals_the_in_memory_one_on_an_interleaved_log():
    """A log in time order (cases interleaved), with loops back, equal timestamps, activities of
    one and of many events and ties between resources: counts, mean, median, 90th percentile,
    waiting time, role, order and transitions are exactly those computed over lists in memory."""
    import random
    from datetime import UTC, datetime, timedelta

    rng = random.Random(3)
    names = ["Review", "Stock", "Pick", "Ship", "Invoice", "Rare"]
    events = []
    for case in range(400):
        t = datetime(2026, 3, 2, 8, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 3000))
        steps = names[: rng.randrange(1, 6)]
        if rng.random() < 0.2:
            steps = steps[:2] + ["Review"] + steps[2:]  # sent back
        if case == 7:
            steps.append("Rare")  # an activity with a single event
        for name in steps:
            t += timedelta(minutes=rng.choice([0, 0, 5, 30, 90]))  # some start as the last one ends
            end = t + timedelta(minutes=rng.choice([0, 10, 45, 120, 600]))
            events.append((t, f"C{case:03d}", name, end, f"r{rng.randrange(3)}"))
            t = end
    events.sort()
    text = "case,activity,start,end,resource\n" + "".join(
        f"{case},{name},{t:%Y-%m-%d %H:%M},{end:%Y-%m-%d %H:%M},{who}\n" for t, case, name, end, who in events
    )
    result = mapping.discover(io.StringIO(text))
    cases, count, stats, flows = _discover_in_memory(text)
    assert (result.cases, result.events, result.errors) == (cases, count, [])
    assert [(a.name, a.count, a.mean, a.median, a.p90, a.mean_wait, a.role) for a in result.activities] == stats
    assert result.transitions == flows
    assert any(a.count == 1 for a in result.activities) and len(result.activities) == len(names)
