"""Site glue: what every page's base template shows (the menu, the business calendar's gaps)."""

from django.conf import settings
from django.utils import timezone

from processes.selectors import calendar

from .site import menu_for


def site(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "site_name": settings.SITE_NAME,
        "menu": menu_for(user, request.path) if signed_in else [],
        "calendar_gaps": calendar_gaps() if signed_in else [],
    }


def calendar_gaps() -> list[int]:
    """Years whose official holidays are unknown while deadlines may fall in them: this year, next
    year from November on (when the State Council publishes it), and any year a deadline has used."""
    today = timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return sorted(set(calendar.unknown_years(years)) | set(calendar.calendar_warnings()))
