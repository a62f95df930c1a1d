import csv
import datetime as dt
import os
from collections import Counter

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from processes.models import CalendarDay
from processes.selectors import calendar

Row = tuple[dt.date, str, str, str]

# The package names its holidays in English only.
NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


MAX_FILE_BYTES = 1024 * 1024


class Command(BaseCommand):
    # argparse needs plain strings: the help, like the other commands', is English only.
    help = (
        "Store China's public holidays and make-up working days as calendar days: for YEARS from the "
        "chinese_calendar package, or from a CSV file (date,kind,name_en,name_zh; kind is day_off or "
        "working_day) with a year the package does not know yet. Running it again changes nothing; rows "
        "entered by an administrator are never overwritten; a file with any bad row stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "years", nargs="*", type=int, metavar="YEAR", help="years the chinese_calendar package knows"
        )
        parser.add_argument(
            "--from-file",
            dest="path",
            metavar="CSV",
            help="a CSV file with the columns date,kind,name_en,name_zh (a header line is optional)",
        )

    def handle(self, *args, years: list[int], path: str | None, **options):
        if not years and not path:
            raise CommandError(_("Give one or more years, or --from-file days.csv."))
        unknown = [str(year) for year in years if not calendar.package_knows(year)]
        if unknown:
            raise CommandError(
                _(
                    "The chinese_calendar package does not know %(years)s (it covers %(first)s-%(last)s): "
                    "load the State Council's schedule with --from-file."
                )
                % {"years": ", ".join(unknown), "first": calendar.PACKAGE_YEARS[0], "last": calendar.PACKAGE_YEARS[-1]}
            )
        file_rows = self._read_file(path) if path else []
        counts: Counter[str] = Counter()
        with transaction.atomic():
            for year in years:
                rows = self._package_rows(year)
                # The package is the source of these rows: drop those it no longer lists (a corrected release).
                stale = CalendarDay.objects.filter(date__year=year, source=CalendarDay.Source.IMPORTED).exclude(
                    date__in=[row[0] for row in rows]
                )
                counts["removed"] += stale.delete()[1].get(CalendarDay._meta.label, 0)
                # A file an administrator loaded beats the package.
                self._store(
                    rows, CalendarDay.Source.IMPORTED, {CalendarDay.Source.ADMIN, CalendarDay.Source.FILE}, counts
                )
            self._store(file_rows, CalendarDay.Source.FILE, {CalendarDay.Source.ADMIN}, counts)
        calendar.reload()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Calendar days: %(created)d added, %(updated)d updated, %(unchanged)d unchanged, %(removed)d "
                    "removed; %(kept)d kept as an administrator entered them."
                )
                % {key: counts[key] for key in ("created", "updated", "unchanged", "removed", "kept")}
            )
        )
        still_unknown = calendar.unknown_years({row[0].year for row in file_rows})
        if still_unknown:
            self.stderr.write(
                self.style.WARNING(
                    _("No public holiday is stored for %(years)s yet: deadlines there count only the weekly days off.")
                    % {"years": ", ".join(map(str, still_unknown))}
                )
            )

    def _store(self, rows: list[Row], source: str, protected: set[str], counts: Counter[str]) -> None:
        existing = {day.date: day for day in CalendarDay.objects.filter(date__in=[row[0] for row in rows])}
        for date, kind, name_en, name_zh in rows:
            values = {"kind": kind, "name_en": name_en, "name_zh": name_zh, "source": source}
            day = existing.get(date)
            if day is not None and day.source in protected:
                counts["kept"] += 1
            elif day is None:
                day = CalendarDay(date=date, **values)
                day.full_clean()
                day.save()
                counts["created"] += 1
            elif any(getattr(day, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(day, key, value)
                day.full_clean()
                day.save()
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1

    def _package_rows(self, year: int) -> list[Row]:
        """Every public holiday of the year (weekend days inside a holiday too) and every make-up working day."""
        rows: list[Row] = []
        for table, kind in (
            (calendar.PACKAGE_HOLIDAYS, CalendarDay.Kind.DAY_OFF),
            (calendar.PACKAGE_WORKDAYS, CalendarDay.Kind.WORKING_DAY),
        ):
            for date, name in table.items():
                if date.year == year:
                    name = str(name or "")
                    rows.append((date, kind, name, NAMES_ZH.get(name, "")))
        return sorted(rows)

    def _read_file(self, path: str) -> list[Row]:
        """The file's rows, or a CommandError listing every bad line (then nothing is stored)."""
        rows: list[Row] = []
        errors: list[str] = []
        seen: dict[dt.date, int] = {}
        try:
            if os.path.getsize(path) > MAX_FILE_BYTES:  # a year's days off fit in a few kilobytes
                raise CommandError(
                    _("%(path)s is larger than %(kb)d KB: not a calendar file.")
                    % {"path": path, "kb": MAX_FILE_BYTES // 1024}
                )
            with open(path, encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                for record in reader:
                    line = reader.line_num
                    cells = [cell.strip() for cell in record]
                    if not any(cells) or (not rows and not errors and cells[0].lower() == "date"):
                        continue
                    row, error = self._parse(cells, seen)
                    if error:
                        errors.append(_("line %(line)d: %(error)s") % {"line": line, "error": error})
                    else:
                        rows.append(row)
                        seen[row[0]] = line
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}) from None
        if errors:
            raise CommandError(
                _("Nothing was stored. Fix these lines of %(path)s:") % {"path": path} + "\n" + "\n".join(errors)
            )
        return rows

    def _parse(self, cells: list[str], seen: dict[dt.date, int]) -> tuple[Row, None] | tuple[None, str]:
        if not 2 <= len(cells) <= 4:
            return None, _("expected date,kind,name_en,name_zh, found %(count)d columns") % {"count": len(cells)}
        date_text, kind, name_en, name_zh = [*cells, "", ""][:4]
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            return None, _('"%(value)s" is not a date (YYYY-MM-DD)') % {"value": date_text}
        if date in seen:
            return None, _("%(date)s is already on line %(line)d") % {"date": date, "line": seen[date]}
        kind = kind.lower()
        if kind not in CalendarDay.Kind.values:
            return None, _('the kind must be day_off or working_day, not "%(value)s"') % {"value": kind}
        try:
            CalendarDay(date=date, kind=kind, name_en=name_en, name_zh=name_zh).full_clean(validate_unique=False)
        except ValidationError as exc:
            return None, "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
        return (date, kind, name_en, name_zh), None
