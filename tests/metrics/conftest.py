from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from processes import demo
from processes.models import StandardVersion
from processes.services import work

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def known_runs(org, users):
    """Two order runs on 2026-03-10 with hand-computable figures: (version, run A, run B).

    Run A: the review waits 30 min and is worked 60 min (on time, its 3 checks ticked); stock and
    hand-off are completed without claiming, 30 min each (no checks ticked). Run B: the review waits
    2 h and is worked 1 h (late: 3 h > 2 h, no checks ticked); it is left at the stock step.
    """
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing")
    t0 = datetime(2026, 3, 10, 9, tzinfo=SHANGHAI)
    run_a, _ = work.run_start(version=version, user=users["sales"], at=t0)
    review = run_a.items.get(position=2)
    work.item_claim(item=review, user=users["sales"], at=t0 + timedelta(minutes=30))
    work.item_complete(item=review, user=users["sales"], checks=review.step.checks, at=t0 + timedelta(minutes=90))
    work.item_complete(item=run_a.items.get(position=3), user=users["warehouse"], at=t0 + timedelta(minutes=120))
    work.item_complete(item=run_a.items.get(position=4), user=users["logistics"], at=t0 + timedelta(minutes=150))
    run_b, _ = work.run_start(version=version, user=users["sales"], at=t0)
    review_b = run_b.items.get(position=2)
    work.item_claim(item=review_b, user=users["sales"], at=t0 + timedelta(hours=2))
    work.item_complete(item=review_b, user=users["sales"], checks=[], at=t0 + timedelta(hours=3))
    work.escalation_sweep(now=t0 + timedelta(hours=3))  # review B is done; nothing open is overdue yet
    return version, run_a, run_b
