"""The seed's template 4 as demo data: baseline and evaluation figures and the effect evaluation."""

from datetime import date
from decimal import Decimal

from processes.models import Process, User

from . import services
from .models import Evaluation, Indicator

BASELINE = (date(2026, 7, 1), date(2026, 9, 30))
AFTER = (date(2026, 10, 1), date(2026, 10, 31))

# indicator, (before, observations, cases), (after, observations, cases), target kind, target value
SEED_ROWS = [
    ("cycle-time", (Decimal("7"), None, None), (Decimal("4"), None, None), "absolute", Decimal("4")),
    ("error-rate", (Decimal("3"), 1000, 30), (Decimal("0.8"), 1000, 8), "absolute", Decimal("1")),
    ("complaint-rate", (Decimal("12"), 100, 12), (Decimal("8"), 100, 8), "relative", Decimal("-15")),
]


def load():
    process = Process.objects.get(code="order-processing")
    author = User.objects.get(username="director")
    title = "Order processing: before and after the new standard"
    if Evaluation.objects.filter(process=process, title=title).exists():
        return
    for code, before, after, _kind, _value in SEED_ROWS:
        indicator = Indicator.objects.get(code=code)
        for (start, end), (value, n, k), label in ((BASELINE, before, "baseline"), (AFTER, after, "after")):
            services.measurement_upsert(
                user=author,
                indicator=indicator,
                process=process,
                source="import",
                external_id=f"demo-{code}-{label}",
                period_start=start,
                period_end=end,
                value=value,
                sample_size=n,
                numerator=k,
                note="Seed template 4",
            )
    services.evaluation_create(
        user=author,
        process=process,
        title=title,
        baseline_start=BASELINE[0],
        baseline_end=BASELINE[1],
        evaluation_start=AFTER[0],
        evaluation_end=AFTER[1],
        rows=[
            {"indicator": Indicator.objects.get(code=code), "target_kind": kind, "target_value": value}
            for code, _b, _a, kind, value in SEED_ROWS
        ],
    )
