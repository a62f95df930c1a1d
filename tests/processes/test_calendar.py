import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from processes import calendar, demo
from processes.models import CalendarDay, StandardVersion
from processes.services import execution

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def fresh_calendar():
    calendar.reload()
    yield
    calendar.reload()


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def test_working_days_across_the_national_day_week_and_its_make_up_days():
    # 2025: Oct 1-8 off; Sunday Sep 28 and Saturday Oct 11 are make-up working days
    friday = at(2025, 9, 26, 10)
    assert calendar.deadline(friday, 3, "working_days") == at(2025, 9, 30, 10)  # Sun 28 (make-up), Mon 29, Tue 30
    tuesday = at(2025, 9, 30, 10)
    assert calendar.deadline(tuesday, 3, "working_days") == at(2025, 10, 11, 10)  # Thu 9, Fri 10, Sat 11 (make-up)
    assert calendar.deadline(tuesday, 5, "working_days") == at(2025, 10, 14, 10)  # Sun 12 is a day off again


def test_working_hours_skip_lunch_evenings_weekends_and_holidays():
    assert calendar.deadline(at(2026, 3, 10, 11), 2, "working_hours") == at(2026, 3, 10, 14)  # lunch 12-13
    assert calendar.deadline(at(2026, 3, 13, 17), 2, "working_hours") == at(2026, 3, 16, 10)  # Friday to Monday
    assert calendar.deadline(at(2026, 3, 10, 20), 1, "working_hours") == at(2026, 3, 11, 10)  # from the evening
    assert calendar.deadline(at(2025, 9, 30, 17), 2, "working_hours") == at(2025, 10, 9, 10)  # over the holiday


def test_hours_are_wall_clock_and_time_zones_are_respected():
    start_utc = dt.datetime(2026, 3, 13, 9, 0, tzinfo=dt.UTC)  # 17:00 in Shanghai, a Friday
    assert calendar.deadline(start_utc, 2, "hours") == start_utc + dt.timedelta(hours=2)
    assert calendar.deadline(start_utc, 2, "working_hours") == at(2026, 3, 16, 10)
    # half a working day = 4 h: Friday 17-18, then Monday 9-12
    assert calendar.deadline(start_utc, Decimal("0.5"), "working_days") == at(2026, 3, 16, 12)


def test_an_admin_entered_holiday_overrides_the_package():
    tuesday = at(2026, 3, 10, 10)
    assert calendar.deadline(tuesday, 1, "working_days") == at(2026, 3, 11, 10)
    CalendarDay.objects.create(date=dt.date(2026, 3, 11), kind="day_off", name_en="Company day")
    calendar.reload()
    assert calendar.deadline(tuesday, 1, "working_days") == at(2026, 3, 12, 10)


def test_an_unknown_year_falls_back_to_weekends_and_is_reported(client, users, caplog):
    assert not calendar.schedule_known(2027)
    assert calendar.deadline(at(2027, 1, 1, 10), 1, "working_days") == at(2027, 1, 4, 10)  # Fri -> Mon
    assert "No official holiday schedule for 2027" in caplog.text
    client.force_login(users["it"])
    from opsflow import context_processors

    gaps = context_processors.calendar_gaps()
    html = client.get("/").content.decode()
    if 2027 in gaps:  # from November on, next year's schedule is needed
        assert "official holidays for 2027 are not in the business calendar" in html
        assert "/admin/processes/calendarday/" in html
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind="day_off", name_en="New Year's Day")
    calendar.reload()
    assert calendar.schedule_known(2027)
    assert calendar.deadline(at(2026, 12, 31, 10), 1, "working_days") == at(2027, 1, 4, 10)


def test_importholidays_is_idempotent_and_keeps_admin_rows(tmp_path):
    CalendarDay.objects.create(date=dt.date(2025, 10, 1), kind="day_off", name_en="Ours", source="admin")
    call_command("importholidays", "2025")
    count = CalendarDay.objects.count()
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 11)).kind == "working_day"
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 1)).name_en == "Ours"
    call_command("importholidays", "2025")
    assert CalendarDay.objects.count() == count


def test_importholidays_from_a_bad_file_stores_nothing(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(
        "date,kind,name_en,name_zh\n2027-01-01,day_off,New Year,元旦\n2027-02-30,day_off,x,\n2027-02-06,weekday,x,\n"
    )
    with pytest.raises(CommandError) as exc:
        call_command("importholidays", "--from-file", str(path))
    assert "line 3" in str(exc.value) and "line 4" in str(exc.value)
    assert not CalendarDay.objects.exists()
    path.write_text(
        "date,kind,name_en,name_zh\n2027-01-01,day_off,New Year,元旦\n2027-02-06,working_day,Make-up day,调休\n"
    )
    call_command("importholidays", "--from-file", str(path))
    assert CalendarDay.objects.count() == 2


def test_a_run_step_due_in_working_hours_across_the_holiday(org, users):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="complaint-handling")
    run, _ = execution.run_start(version=version, user=users["cs"], at=at(2025, 9, 30, 16))
    register = run.items.get(position=1)
    assert register.due_at == at(2025, 9, 30, 18)  # 2 h, wall-clock
    execution.item_complete(item=register, user=users["cs"], at=at(2025, 9, 30, 17))
    forward = run.items.get(position=2)  # 4 working hours from 17:00 on the eve of the holiday
    assert forward.due_at == at(2025, 10, 9, 12)
