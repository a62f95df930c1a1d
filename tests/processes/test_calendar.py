import datetime as dt
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save

from processes import demo
from processes.choices import TimeUnit
from processes.models import BusinessCalendar, CalendarDay, StandardVersion
from processes.selectors import calendar
from processes.services import work

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
WD, WH, H = TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS, TimeUnit.HOURS


@pytest.fixture(autouse=True)
def fresh_calendar(monkeypatch):
    # These tests are written against the package's official schedules for 2004-2026 (chinesecalendar
    # 1.11, the release on the mirror): one that also knows 2027 (China publishes the next year's
    # schedule in the autumn) must not change which year is "unknown" here.
    monkeypatch.setattr(calendar, "PACKAGE_YEARS", range(2004, 2027))

    # The snapshot outlives a test's rolled-back transaction; start and end each test without one.
    def forget():
        calendar.reload()
        calendar._used_unknown.clear()
        calendar._warned_at.clear()
        # and what other tests' deadlines told the shared cache (Redis outlives a test): from December
        # on, any deadline a few working days ahead reaches into next year
        cache.delete_many([calendar._SHARED_KEY.format(year) for year in range(2000, 2100)])

    forget()
    yield
    forget()


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


# ------------------------------------------------------------------------------
# Working days, working hours, hours
# ------------------------------------------------------------------------------


def test_working_days_across_the_national_day_week_and_its_make_up_days():
    # The package's 2025 schedule: Oct 1-8 off; Sunday Sep 28 and Saturday Oct 11 are make-up working days.
    assert calendar.is_working_day(dt.date(2025, 9, 28)) and calendar.is_working_day(dt.date(2025, 10, 11))
    assert not calendar.is_working_day(dt.date(2025, 10, 8)) and not calendar.is_working_day(dt.date(2025, 9, 27))
    friday = at(2025, 9, 26, 10)
    assert calendar.deadline(friday, 3, WD) == at(2025, 9, 30, 10)  # Sun 28 (make-up), Mon 29, Tue 30
    # Handed over that Friday evening: due when Tuesday closes, before the holiday, not the morning after it.
    assert calendar.deadline(at(2025, 9, 26, 20), 3, WD) == at(2025, 9, 30, 18)
    tuesday = at(2025, 9, 30, 10)
    assert calendar.deadline(tuesday, 3, WD) == at(2025, 10, 11, 10)  # Thu 9, Fri 10, Sat 11 (make-up)
    assert calendar.deadline(tuesday, 5, WD) == at(2025, 10, 14, 10)  # Sun 12 is a day off again
    # 2024: Oct 1-7 off, Sunday Sep 29 worked: the Friday before plus 3 is the first day after the holiday.
    assert calendar.deadline(at(2024, 9, 27, 15), 3, WD) == at(2024, 10, 8, 15)


def test_working_days_from_outside_working_hours():
    assert calendar.deadline(at(2026, 3, 13, 20), 1, WD) == at(2026, 3, 16, 18)  # Friday evening -> Monday close
    assert calendar.deadline(at(2026, 3, 14, 11), 1, WD) == at(2026, 3, 16, 18)  # Saturday
    assert calendar.deadline(at(2026, 3, 10, 7), 1, WD) == at(2026, 3, 10, 18)  # before work: that day's close
    assert calendar.deadline(at(2026, 3, 10, 12, 30), 1, WD) == at(2026, 3, 11, 12)  # lunch break
    assert calendar.deadline(at(2026, 3, 10, 18), 1, WD) == at(2026, 3, 11, 18)  # the period's end is working time
    assert calendar.deadline(at(2026, 3, 10, 9), 2, WD) == at(2026, 3, 12, 9)
    assert calendar.deadline(at(2026, 10, 1, 10), 1, WD) == at(2026, 10, 8, 18)  # National Day 2026: Oct 1-7 off


def test_working_hours_skip_lunch_evenings_weekends_and_holidays():
    assert calendar.deadline(at(2026, 3, 10, 11), 2, WH) == at(2026, 3, 10, 14)  # lunch 12-13
    assert calendar.deadline(at(2026, 3, 10, 11, 30), 1, WH) == at(2026, 3, 10, 13, 30)
    assert calendar.deadline(at(2026, 3, 10, 17), 1, WH) == at(2026, 3, 10, 18)  # ends at the close, not next day
    assert calendar.deadline(at(2026, 3, 13, 17), 2, WH) == at(2026, 3, 16, 10)  # Friday to Monday
    assert calendar.deadline(at(2026, 3, 10, 20), 1, WH) == at(2026, 3, 11, 10)  # from the evening
    assert calendar.deadline(at(2026, 3, 10, 9), 8, WH) == at(2026, 3, 10, 18)
    assert calendar.deadline(at(2026, 3, 10, 9), Decimal("16.5"), WH) == at(2026, 3, 12, 9, 30)
    assert calendar.deadline(at(2025, 9, 30, 17), 2, WH) == at(2025, 10, 9, 10)  # over the holiday
    assert calendar.deadline(at(2025, 9, 26, 17), 2, WH) == at(2025, 9, 28, 10)  # the make-up Sunday counts


def test_hours_are_wall_clock():
    start = at(2025, 9, 30, 17)
    assert calendar.deadline(start, 24, H) == at(2025, 10, 1, 17)  # a holiday changes nothing
    assert calendar.deadline(start, 2.5, H) == at(2025, 9, 30, 19, 30)
    assert calendar.deadline(start, Decimal("0.01"), H) == start + dt.timedelta(seconds=36)


def test_empty_zero_and_bad_limits():
    start = at(2026, 3, 10, 20)
    assert calendar.deadline(start, None, WD) is None
    assert calendar.deadline(start, 0, WD) == start
    assert calendar.deadline(start, Decimal("0.5"), "working_days") == at(2026, 3, 11, 14)  # a plain string unit
    with pytest.raises(ValueError):
        calendar.deadline(start, -1, H)
    with pytest.raises(ValueError):
        calendar.deadline(start, 1, "fortnights")
    with pytest.raises(ValueError):
        calendar.deadline(dt.datetime(2026, 3, 10, 9), 1, WH)  # naive  # noqa: DTZ001


def test_time_zones_are_respected():
    start_utc = dt.datetime(2026, 3, 13, 9, 0, tzinfo=dt.UTC)  # 17:00 in Shanghai, a Friday
    assert calendar.deadline(start_utc, 2, H) == start_utc + dt.timedelta(hours=2)
    assert calendar.deadline(start_utc, 2, WH) == at(2026, 3, 16, 10)
    assert calendar.deadline(start_utc, 2, WH).tzinfo == SH
    # half a working day = 4 h: Friday 17-18, then Monday 9-12
    assert calendar.deadline(start_utc, Decimal("0.5"), WD) == at(2026, 3, 16, 12)
    # A moment is judged by its date in Shanghai: Friday 17:00 UTC is Saturday 01:00 there.
    assert not calendar.is_working_day(dt.datetime(2026, 3, 13, 17, tzinfo=dt.UTC))
    assert calendar.is_working_day(dt.datetime(2026, 3, 15, 20, tzinfo=dt.UTC))  # Sunday in UTC, Monday there


def test_the_business_calendar_row_sets_the_zone_hours_and_weekdays():
    BusinessCalendar.objects.create(
        name="Berlin office",
        time_zone="Europe/Berlin",
        morning_start=dt.time(8),
        morning_end=dt.time(12),
        afternoon_start=dt.time(12, 30),
        afternoon_end=dt.time(16, 30),
        saturday=True,
    )
    berlin = ZoneInfo("Europe/Berlin")
    assert calendar.time_zone() == berlin
    friday = dt.datetime(2026, 3, 13, 16, tzinfo=berlin)
    assert calendar.deadline(friday, 1, WH) == dt.datetime(2026, 3, 14, 8, 30, tzinfo=berlin)  # Saturday works
    assert calendar.deadline(friday, 1, WD) == dt.datetime(2026, 3, 14, 16, tzinfo=berlin)
    # China's holidays still apply on top of the week, including those falling on a Saturday.
    assert not calendar.is_working_day(dt.date(2025, 10, 4))


def test_the_business_calendar_is_one_row_with_sane_hours():
    BusinessCalendar.objects.create()
    assert BusinessCalendar.objects.get().time_zone == "Asia/Shanghai"
    with pytest.raises(ValidationError):
        BusinessCalendar().full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        BusinessCalendar.objects.create(name="second")
    bad = BusinessCalendar.objects.get()
    bad.time_zone, bad.morning_end = "Mars/Olympus", dt.time(14)
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "time_zone" in exc.value.message_dict and "__all__" in exc.value.message_dict
    for field in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        setattr(bad, field, False)
    with pytest.raises(ValidationError, match="at least one working weekday"):
        bad.full_clean()


# ------------------------------------------------------------------------------
# Sources: admin rows, the package, unknown years
# ------------------------------------------------------------------------------


def test_an_admin_entered_day_overrides_the_package():
    tuesday = at(2026, 3, 10, 10)
    assert calendar.deadline(tuesday, 1, WD) == at(2026, 3, 11, 10)
    CalendarDay.objects.create(date=dt.date(2026, 3, 11), kind="day_off", name_en="Company day")
    assert calendar.deadline(tuesday, 1, WD) == at(2026, 3, 12, 10)  # the save dropped the snapshot
    CalendarDay.objects.create(date=dt.date(2026, 10, 3), kind="working_day", name_en="Stocktaking")
    assert calendar.is_working_day(dt.date(2026, 10, 3))  # a National Day holiday in the package


def test_an_unknown_year_falls_back_to_weekends_and_is_reported(client, users, caplog, monkeypatch):
    assert not calendar.schedule_known(2027) and calendar.schedule_known(2026) and calendar.schedule_known(2004)
    assert calendar.unknown_years(2025, 2028) == [2027, 2028]
    assert calendar.unknown_years(at(2026, 12, 31, 10), dt.date(2027, 2, 1)) == [2027]
    assert calendar.unknown_years([2026, 2027]) == [2027]
    assert calendar.calendar_warnings() == []
    with caplog.at_level(logging.WARNING, logger="processes.calendar"):
        assert calendar.deadline(at(2027, 1, 1, 10), 1, WD) == at(2027, 1, 4, 10)  # Fri -> Mon, no New Year
    assert "No official holiday schedule for 2027" in caplog.text
    assert calendar.calendar_warnings() == [2027]
    # A deadline that only reaches into the unknown year is reported too.
    calendar._used_unknown.clear()
    assert calendar.deadline(at(2026, 12, 31, 10), 2, WD) == at(2027, 1, 4, 10)
    assert calendar.calendar_warnings() == [2027]

    from django.utils import timezone

    from opsflow import context_processors

    # The banner names this year, next year from November on, and the years deadlines used: what it
    # says depends on today's date, so each page is fetched on a pinned day (signed in on that day,
    # or the session would have expired).
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: at(2026, 12, 1, 10).astimezone(dt.UTC))
        client.force_login(users["it"])
        assert context_processors.calendar_gaps() == [2027]
        html = client.get("/").content.decode()
        assert "official holidays for 2027 are not in the business calendar: deadlines in that year" in html
        assert "/admin/processes/calendarday/" in html
    with monkeypatch.context() as clock:  # 31 Dec 2027: this year, and next year from November on
        clock.setattr(timezone, "now", lambda: at(2027, 12, 31, 20).astimezone(dt.UTC))
        client.force_login(users["it"])
        assert context_processors.calendar_gaps() == [2027, 2028]
        html = client.get("/").content.decode()
        assert "official holidays for 2027, 2028 are not in the business calendar: deadlines in those years" in html

    # Make-up working days alone are not a schedule; a public holiday is.
    CalendarDay.objects.create(date=dt.date(2027, 2, 7), kind="working_day", name_en="Make-up day")
    assert not calendar.schedule_known(2027)
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind="day_off", name_en="New Year's Day")
    assert calendar.schedule_known(2027)
    assert calendar.calendar_warnings() == []
    assert calendar.deadline(at(2026, 12, 31, 10), 1, WD) == at(2027, 1, 4, 10)


def test_the_snapshot_is_cached_and_changes_from_other_processes_are_noticed(monkeypatch, django_assert_num_queries):
    tuesday = at(2026, 3, 10, 10)
    assert calendar.deadline(tuesday, 1, WD) == at(2026, 3, 11, 10)
    with django_assert_num_queries(0):
        calendar.deadline(tuesday, 5, WD)
        calendar.deadline(tuesday, 40, WH)
        calendar.is_working_day(dt.date(2026, 5, 1))
    # Another process saves a day: no signal reaches us, only its history row.
    uid = "processes.calendar.reload.processes.CalendarDay"
    assert post_save.disconnect(sender=CalendarDay, dispatch_uid=uid)
    try:
        CalendarDay.objects.create(date=dt.date(2026, 3, 11), kind="day_off", name_en="Elsewhere")
    finally:
        post_save.connect(calendar._calendar_changed, sender=CalendarDay, dispatch_uid=uid)
    assert calendar.deadline(tuesday, 1, WD) == at(2026, 3, 11, 10)  # still within STAMP_TTL_SECONDS
    monkeypatch.setattr(calendar, "STAMP_TTL_SECONDS", 0)
    assert calendar.deadline(tuesday, 1, WD) == at(2026, 3, 12, 10)  # the history stamp changed


# ------------------------------------------------------------------------------
# importholidays
# ------------------------------------------------------------------------------


def test_importholidays_is_idempotent_and_keeps_admin_rows():
    CalendarDay.objects.create(date=dt.date(2025, 10, 1), kind="day_off", name_en="Ours", source="admin")
    CalendarDay.objects.create(date=dt.date(2025, 6, 3), kind="day_off", name_en="Withdrawn", source="imported")
    call_command("importholidays", "2025")
    count = CalendarDay.objects.count()
    make_up = CalendarDay.objects.get(date=dt.date(2025, 10, 11))
    assert (make_up.kind, make_up.source, make_up.name_en, make_up.name_zh) == (
        "working_day",
        "imported",
        "National Day",
        "国庆节",
    )
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 4)).kind == "day_off"  # a Saturday inside the holiday
    assert CalendarDay.objects.get(date=dt.date(2025, 10, 1)).name_en == "Ours"
    assert not CalendarDay.objects.filter(date=dt.date(2025, 6, 3)).exists()  # the package no longer lists it
    history = CalendarDay.history.count()
    call_command("importholidays", "2025")
    assert CalendarDay.objects.count() == count
    assert CalendarDay.history.count() == history  # nothing rewritten
    assert calendar.deadline(at(2025, 9, 30, 10), 3, WD) == at(2025, 10, 11, 10)
    with pytest.raises(CommandError, match="does not know 2027"):
        call_command("importholidays", "2027")


def test_importholidays_from_a_bad_file_stores_nothing(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(
        "date,kind,name_en,name_zh\n"
        "2027-01-01,day_off,New Year,元旦\n"
        "2027-02-30,day_off,x,\n"
        "2027-02-06,weekday,x,\n"
        "2027-01-01,day_off,Again,\n"
        f"2027-05-01,day_off,{'x' * 101},\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as exc:
        call_command("importholidays", "--from-file", str(path))
    message = str(exc.value)
    for line in ("line 3", "line 4", "line 5", "line 6"):
        assert line in message
    assert "\nline 2:" not in message
    assert not CalendarDay.objects.exists()


def test_importholidays_from_a_file_loads_next_year(tmp_path):
    CalendarDay.objects.create(date=dt.date(2027, 2, 6), kind="working_day", name_en="Typed by hand")
    path = tmp_path / "2027.csv"
    path.write_text(
        "\ufeffdate,kind,name_en,name_zh\n"
        "2027-01-01,day_off,New Year's Day,元旦\n"
        "\n"
        "2027-02-06,WORKING_DAY,Spring Festival,春节\n"
        "2026-10-01,working_day,Stocktaking\n",
        encoding="utf-8",
    )
    assert not calendar.schedule_known(2027)
    call_command("importholidays", "--from-file", str(path))
    assert CalendarDay.objects.get(date=dt.date(2027, 1, 1)).source == "file"
    assert CalendarDay.objects.get(date=dt.date(2027, 2, 6)).name_en == "Typed by hand"  # never overwritten
    assert calendar.schedule_known(2027)
    assert not calendar.is_working_day(dt.date(2027, 1, 1))
    # The package does not overwrite what an administrator loaded from a file.
    call_command("importholidays", "2026")
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 1)).source == "file"
    assert calendar.is_working_day(dt.date(2026, 10, 1))
    call_command("importholidays", "--from-file", str(path))
    assert CalendarDay.objects.filter(source="file").count() == 2


# ------------------------------------------------------------------------------
# In use
# ------------------------------------------------------------------------------


def test_a_run_step_due_in_working_hours_across_the_holiday(org, users):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="complaint-handling")
    run, _ = work.run_start(version=version, user=users["cs"], at=at(2025, 9, 30, 16))
    register = run.items.get(position=1)
    assert register.due_at == at(2025, 9, 30, 18)  # 2 h, wall-clock
    work.item_complete(item=register, user=users["cs"], at=at(2025, 9, 30, 17))
    forward = run.items.get(position=2)  # 4 working hours from 17:00 on the eve of the holiday
    assert forward.due_at == at(2025, 10, 9, 12)


def test_the_admin_pages(admin_client):
    if not admin.site.is_registered(BusinessCalendar):
        pytest.skip("processes/admin.py does not import processes.admin_calendar yet")
    assert admin_client.get("/admin/processes/businesscalendar/add/").status_code == 200
    response = admin_client.get("/admin/processes/calendarday/?year=2027")
    assert response.status_code == 200
    response = admin_client.post(
        "/admin/processes/calendarday/add/",
        {"date": "2026-03-11", "kind": "day_off", "name_en": "Company day", "name_zh": "公司日"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=dt.date(2026, 3, 11)).source == "admin"
    assert not calendar.is_working_day(dt.date(2026, 3, 11))
