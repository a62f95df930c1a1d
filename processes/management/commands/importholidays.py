import csv
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from processes import calendar
from processes.models import CalendarDay


class Command(BaseCommand):
    help = (
        "Store China's public holidays and make-up working days as calendar days: for YEARS from the "
        "chinese_calendar package, or from a CSV file (date,kind,name_en,name_zh; kind = day_off or "
        "working_day) for a year the package does not know yet. Rows entered by an admin are never "
        "overwritten; a file with any bad row stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="*", type=int)
        parser.add_argument("--from-file", dest="path")

    def handle(self, *args, years, path, **options):
        if not years and not path:
            raise CommandError("Give one or more years, or --from-file days.csv.")
        rows = []
        for year in years:
            rows += self._from_package(year)
        if path:
            rows += self._from_file(path)
        created = updated = 0
        with transaction.atomic():
            for day, kind, name_en, name_zh in rows:
                existing = CalendarDay.objects.filter(date=day).first()
                if existing is not None and existing.source == CalendarDay.Source.ADMIN:
                    continue
                values = {"kind": kind, "name_en": name_en, "name_zh": name_zh, "source": CalendarDay.Source.IMPORTED}
                if existing is None:
                    CalendarDay.objects.create(date=day, **values)
                    created += 1
                elif any(getattr(existing, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(existing, k, v)
                    existing.save()
                    updated += 1
        calendar.reload()
        self.stdout.write(f"{created} day(s) added, {updated} updated")

    def _from_package(self, year):
        import chinese_calendar

        if not calendar.package_knows(year):
            raise CommandError(f"The chinese_calendar package does not know {year}: use --from-file.")
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        names_zh = {
            "New Year's Day": "元旦",
            "Spring Festival": "春节",
            "Tomb-sweeping Day": "清明节",
            "Labour Day": "劳动节",
            "Dragon Boat Festival": "端午节",
            "National Day": "国庆节",
            "Mid-autumn Festival": "中秋节",
        }
        rows = []
        day = start
        while day <= end:
            workday = chinese_calendar.is_workday(day)
            weekend = day.weekday() >= 5
            if weekend == workday:  # a holiday on a weekday, or a working weekend day
                _, name = chinese_calendar.get_holiday_detail(day)
                name = str(name or "")
                kind = CalendarDay.Kind.WORKING_DAY if workday else CalendarDay.Kind.DAY_OFF
                rows.append((day, kind, name, names_zh.get(name, "")))
            day += dt.timedelta(days=1)
        return rows

    def _from_file(self, path):
        rows, errors = [], []
        try:
            handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        with handle:
            for number, record in enumerate(csv.reader(handle), start=1):
                if not record or (number == 1 and record[0].strip().lower() == "date"):
                    continue
                record += [""] * (4 - len(record))
                try:
                    day = dt.date.fromisoformat(record[0].strip())
                except ValueError:
                    errors.append(f"line {number}: {record[0]!r} is not a date (YYYY-MM-DD)")
                    continue
                kind = record[1].strip()
                if kind not in CalendarDay.Kind.values:
                    errors.append(f"line {number}: kind must be day_off or working_day, not {kind!r}")
                    continue
                rows.append((day, kind, record[2].strip(), record[3].strip()))
        if errors:
            raise CommandError("Nothing was stored:\n" + "\n".join(errors))
        return rows
