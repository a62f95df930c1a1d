"""Write side of indicators: the catalogue every installation has out of the box, and measurements
(entered by hand, imported from a file, posted by a REST client).

The seed indicators are kept by a post_migrate handler, like the role groups: created when missing, never
overwritten, so an admin's edits to a definition stay.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from processes import access
from processes.models import Process

from ..models import Indicator, Measurement

INDICATORS = [
    # code, English, Chinese, unit, direction, source, computation, definition (en), definition (zh)
    (
        "cycle-time",
        "Average processing time",
        "平均处理时长",
        "h",
        "lower",
        "computed",
        "cycle_time",
        "Mean hours from the start of a run to the end of its last step, over runs finished in the period.",
        "期间内完成的运行，从发起到最后一步完成的平均小时数。",
    ),
    (
        "step-time",
        "Average step time",
        "平均步骤时长",
        "h",
        "lower",
        "computed",
        "step_time",
        "Mean hours from a step's creation to its completion, over manual steps finished in the period.",
        "期间内完成的人工步骤，从创建到完成的平均小时数。",
    ),
    (
        "waiting-time",
        "Average waiting time",
        "平均等待时长",
        "h",
        "lower",
        "computed",
        "waiting_time",
        "Mean hours a step waited before someone started it (created to claimed), over steps finished in the period.",
        "期间内完成的步骤在被认领前等待的平均小时数（创建到认领）。",
    ),
    (
        "working-time",
        "Average working time",
        "平均作业时长",
        "h",
        "lower",
        "computed",
        "working_time",
        "Mean hours from claiming a step to completing it, over steps finished in the period.",
        "期间内完成的步骤从认领到完成的平均小时数。",
    ),
    (
        "on-time-rate",
        "On-time rate of steps",
        "步骤按时完成率",
        "%",
        "higher",
        "computed",
        "on_time_rate",
        "Share of steps with a time limit finished in the period that finished by their deadline.",
        "期间内完成且有时限的步骤中，在截止时间前完成的比例。",
    ),
    (
        "run-on-time-rate",
        "On-time rate of runs",
        "运行按时完成率",
        "%",
        "higher",
        "computed",
        "run_on_time_rate",
        "Share of runs finished in the period in which every step finished by its deadline.",
        "期间内完成的运行中，每个步骤都按时完成的比例。",
    ),
    (
        "escalation-rate",
        "Escalation rate",
        "升级率",
        "%",
        "lower",
        "computed",
        "escalation_rate",
        "Share of steps created in the period that were escalated at least once.",
        "期间内创建的步骤中，至少升级过一次的比例。",
    ),
    (
        "exception-rate",
        "Exception rate",
        "异常率",
        "%",
        "lower",
        "computed",
        "exception_rate",
        "Share of runs started in the period on which an exception was reported.",
        "期间内发起的运行中，上报过异常的比例。",
    ),
    (
        "error-rate",
        "Information error rate",
        "信息错误率",
        "%",
        "lower",
        "computed",
        "error_rate",
        "Share of quality checks not ticked, over the checks of steps finished in the period.",
        "期间内完成的步骤的质量检查项中，未通过的比例。",
    ),
    (
        "throughput",
        "Throughput",
        "处理量",
        "runs",
        "higher",
        "computed",
        "throughput",
        "Number of runs finished in the period.",
        "期间内完成的运行数量。",
    ),
    (
        "backlog",
        "Open backlog",
        "积压工作",
        "steps",
        "lower",
        "computed",
        "backlog",
        "Steps still open at the end of the period.",
        "期末仍未完成的步骤数量。",
    ),
    (
        "complaint-rate",
        "Customer complaint rate",
        "客户投诉率",
        "%",
        "lower",
        "measured",
        "",
        "Complaints received in the period per 100 orders delivered, from the customer-service system.",
        "期间内每 100 笔已交付订单收到的投诉数，数据来自客服系统。",
    ),
    (
        "customer-satisfaction",
        "Customer satisfaction",
        "客户满意度",
        "points",
        "higher",
        "measured",
        "",
        "Average satisfaction score (1-5) of customers surveyed in the period.",
        "期间内受访客户的平均满意度评分（1-5 分）。",
    ),
]


def ensure_seed_indicators(**kwargs):
    for code, en, zh, unit, direction, source, computation, def_en, def_zh in INDICATORS:
        Indicator.objects.get_or_create(
            code=code,
            defaults=dict(
                name_en=en,
                name_zh=zh,
                unit=unit,
                direction=direction,
                source=source,
                computation=computation,
                definition_en=def_en,
                definition_zh=def_zh,
            ),
        )


@transaction.atomic
def measurement_upsert(*, user, indicator, process, source, external_id="", **values) -> tuple[Measurement, bool]:
    """Create a measurement, or update the one of the same indicator and process with the same
    ``external_id`` (idempotent for clients). Only the roles of ``access.can_write_measurements`` write,
    in their scope; the key includes the process, so another department's ``external_id`` is never
    found (nor touched) from here: the caller gets their own row."""
    if not access.can_write_measurements(user, process.department_id):
        raise PermissionDenied(_("Your role or department does not allow this."))
    measurement = None
    if external_id:
        measurement = (
            Measurement.objects.select_for_update()
            .filter(indicator=indicator, process=process, external_id=external_id)
            .first()
        )
    created = measurement is None
    if created:
        measurement = Measurement(indicator=indicator, process=process, external_id=external_id, created_by=user)
    measurement.source = source
    for name, value in values.items():
        setattr(measurement, name, value)
    measurement.full_clean()
    measurement._history_user = user
    try:
        with transaction.atomic():
            measurement.save()
    except IntegrityError:
        raise ValidationError({"external_id": [_("Another measurement uses this external id.")]}) from None
    return measurement, created


def indicator_for_code(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


@transaction.atomic
def measurements_import(*, user, rows: list[dict]) -> int:
    """Store checked rows (``metrics.imports.indicators.parse``) all together; an ``external_id`` updates its row."""

    indicators = {i.code: i for i in Indicator.objects.all()}
    processes = {p.code: p for p in Process.objects.all()}
    for row in rows:
        values = dict(row)
        services_row = {
            "indicator": indicators[values.pop("indicator")],
            "process": processes[values.pop("process")],
            "external_id": values.pop("external_id", ""),
        }
        measurement_upsert(user=user, source="import", **services_row, **values)
    return len(rows)
