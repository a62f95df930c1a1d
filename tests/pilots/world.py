"""Dates of the pilot the shared fixtures (tests/conftest.py: ``teams``, ``trial``, ``running``) build."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The pilot runs over two ordinary working weeks in March 2026.
START, END = date(2026, 3, 9), date(2026, 3, 20)
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday morning inside the pilot
