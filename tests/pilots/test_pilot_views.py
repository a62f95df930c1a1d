"""The pilot pages in the browser's terms: forms that keep what was typed on an error, permissions,
the report page, its XLSX and printable versions, in English and Chinese."""

import io
from datetime import date

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from pilots.models import FeedbackItem, Pilot, StandUp, SurveyResponse
from pilots.services import pilot as pilots
from processes.models import StandardVersion, WorkItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot(running):
    return running


def test_creating_a_pilot_with_bad_dates_keeps_the_input(trial, teams, users, login):
    client = login(users["manager"])
    data = {
        "name_en": "Trial East",
        "name_zh": "华东试点",
        "version": trial["trial"].pk,
        "departments": [teams["east"].pk],
        "control_departments": [teams["east"].pk],
        "starts_on": "2026-03-20",
        "ends_on": "2026-03-09",
        "cycles": 3,
        "owner": users["manager"].pk,
    }
    response = client.post(reverse("pilots:create"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert {"cycles"} <= set(form.errors)
    assert 'value="Trial East"' in response.content.decode()
    assert not Pilot.objects.exists()

    data["cycles"] = 2
    response = client.post(reverse("pilots:create"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "control_departments" in errors and "ends_on" in errors
    assert not Pilot.objects.exists()

    data.update(control_departments=[teams["south"].pk], ends_on="2026-04-03")
    response = client.post(reverse("pilots:create"), data)
    pilot = Pilot.objects.get()
    assert response.status_code == 302 and response.url == reverse("pilots:detail", args=[pilot.pk])
    assert pilot.status == "planned" and list(pilot.departments.all()) == [teams["east"]]


def test_ops_staff_cannot_create_and_other_departments_cannot_see(pilot, users, login, client):
    assert login(users["sales"]).get(reverse("pilots:create")).status_code == 403
    client.logout()
    response = login(users["cs"]).get(reverse("pilots:detail", args=[pilot.pk]))
    assert response.status_code == 404
    assert pilot.name_en not in login(users["cs"]).get(reverse("pilots:list")).content.decode()
    assert pilot.name_en in login(users["sales"]).get(reverse("pilots:list")).content.decode()


def test_a_stand_up_from_the_page_opens_a_draft_and_a_bad_one_keeps_the_input(pilot, trial, users, login):
    client = login(users["manager"])
    review = trial["trial"].steps.get(position=2)
    url = reverse("pilots:action", args=[pilot.pk, "standup"])
    bad = {
        "held_on": "2026-03-11",
        "problems": "The 2 h review is too tight",
        "decisions": "",
        "change_step": review.pk,
        "new_time_limit": "3",
        "new_time_unit": "hours",
    }
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "decisions" in response.context["standup_form"].errors
    assert "The 2 h review is too tight" in response.content.decode()
    assert not StandUp.objects.exists()

    response = client.post(url, {**bad, "decisions": "Change it to 3 hours", "attendees": [users["sales"].pk]})
    assert response.status_code == 302
    standup = StandUp.objects.get()
    assert standup.draft_version.steps.get(key=review.key).time_limit == 3
    page = client.get(reverse("pilots:detail", args=[pilot.pk])).content.decode()
    assert f"draft version {standup.draft_version.number}" in page


def test_feedback_raised_in_the_page_is_accepted_into_the_it_inbox(pilot, teams, departments, users, login, client):
    response = login(users["sales"]).post(
        reverse("pilots:action", args=[pilot.pk, "feedback"]),
        {
            "department": teams["east"].pk,
            "problem": "Customers wait for the ID check call",
            "suggestion": "Check ID numbers in the system",
            "responsible_department": departments["it"].pk,
            "due_days": 3,
        },
    )
    assert response.status_code == 302
    item = FeedbackItem.objects.get()
    assert login(users["sales"]).post(reverse("pilots:feedback-decide", args=[item.pk, "accept"])).status_code == 403
    client.logout()
    login(users["manager"]).post(reverse("pilots:feedback-decide", args=[item.pk, "accept"]))
    item.refresh_from_db()
    assert item.status == "accepted"
    work = WorkItem.objects.get(kind="feedback")
    page = login(users["it"]).get(reverse("work:inbox")).content.decode()
    assert "Pilot feedback 1" in page
    work_page = login(users["it"]).get(reverse("work:item-detail", args=[work.pk])).content.decode()
    assert 'name="note" required' in work_page  # the resolution is asked for


def test_staff_in_scope_answer_the_survey_once(pilot, teams, users, login, django_user_model, client):
    survey = pilots.survey_create(pilot=pilot, user=users["manager"], title_en="Week 1", title_zh="第一周")
    clarity, efficiency, comment = survey.questions.order_by("position")
    staff = django_user_model.objects.create_user("east1", password="x", department=teams["east"])
    staff.groups.add(Group.objects.get(name="ops_staff"))
    url = reverse("pilots:survey", args=[survey.pk])
    client = login(staff)
    response = client.post(url, {f"q{clarity.pk}": "4", f"q{comment.pk}": "Clearer than before"})
    assert response.status_code == 400
    assert f"q{efficiency.pk}" in response.context["form"].errors
    assert "Clearer than before" in response.content.decode()
    assert not SurveyResponse.objects.exists()
    response = client.post(url, {f"q{clarity.pk}": "4", f"q{efficiency.pk}": "5", f"q{comment.pk}": "Clearer"})
    assert response.status_code == 302
    page = client.get(url)
    assert page.context["form"] is None and page.context["answered"]
    client.logout()
    outsider = login(users["cs"]).get(url)
    assert outsider.status_code == 404  # customer service sees neither the pilot nor its survey


def test_the_report_page_xlsx_and_print_in_both_languages(pilot, users, login):
    client = login(users["manager"])
    url = reverse("pilots:report", args=[pilot.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Pilot, control group and baseline" in text and "Average processing time" in text
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(url + "?format=xlsx").content))
    assert workbook.sheetnames[0] == "Pilot vs control vs baseline"
    assert workbook.worksheets[0]["A1"].value == "Indicator"
    printable = client.get(url + "?print=1").content.decode()
    assert "data-print" in printable and "js/print.js" in printable and 'class="sidenav"' not in printable
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    zh = client.get(url).content.decode()
    assert "试点反馈报告" in zh and "平均处理时长" in zh


def test_a_new_pilot_version_shows_in_the_start_run_form(pilot, trial, users, login):
    page = login(users["manager"]).get(reverse("work:run-start")).content.decode()
    trial["trial"].refresh_from_db()
    assert trial["trial"].status == "piloting"
    assert f"v{trial['trial'].number}, in a pilot" in page
    assert StandardVersion.objects.filter(status="piloting").count() == 1
    assert date(2026, 3, 9) == pilot.starts_on
