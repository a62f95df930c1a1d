"""The documents of a standard version: the SOP (flowchart, manual, exception plans) and the
template 2 exports (XLSX, CSV) that mirror the seed's field/value table."""

from django.utils.translation import gettext as _

from opsflow.exports import Sheet, csv_response, xlsx_response

from . import flowchart
from .formatting import responsibility, time_limit


def _limit(step):
    return time_limit(step.time_limit, step.time_unit)


def flowchart_svg(version) -> str:
    boxes = []
    for step in version.steps.all():
        detail = [responsibility(step), _limit(step) if not step.automatic else _("automatic")]
        boxes.append(flowchart.Box(step.name, [" · ".join(detail)], automatic=step.automatic))
    return flowchart.render(
        boxes,
        start=version.inputs or _("Start"),
        end=version.outputs or _("End"),
        title=_("Flowchart of %(process)s, version %(number)s")
        % {"process": version.process, "number": version.number},
    )


def targets_text(version, kind) -> str:
    return "; ".join(str(t) for t in version.targets.all() if t.kind == kind)


def template2_rows(version) -> list[tuple[str, str]]:
    """The seed's template 2 as (field, value) rows."""
    steps = "; ".join(
        f"{s.position}. {s.name} ({responsibility(s)}; {_('automatic') if s.automatic else _limit(s)}"
        + (f"; {s.standard}" if s.standard else "")
        + ")"
        for s in version.steps.all()
    )
    limits = "; ".join(f"{s.name} {_limit(s)}" for s in version.steps.all() if s.time_limit is not None)
    quality = targets_text(version, "quality")
    escalation = "; ".join(
        _("level %(level)s: %(target)s, %(hours)s h after the deadline")
        % {"level": e.level, "target": e.get_target_display(), "hours": f"{e.after_hours.normalize():f}"}
        for e in version.escalation_levels.all()
    )
    plans = "; ".join(
        f"{p.trigger}: {p.action} ({time_limit(p.response_limit, p.response_unit)})"
        for p in version.exception_plans.all()
    )
    scope = version.scope + (f" ({_('excluded')}: {version.out_of_scope})" if version.out_of_scope else "")
    goal = version.goal + (f" [{targets_text(version, 'goal')}]" if targets_text(version, "goal") else "")
    return [
        (_("Process"), str(version.process)),
        (_("Version"), str(version.number)),
        (_("Status"), version.get_status_display()),
        (_("Goal"), goal),
        (_("Scope"), scope),
        (_("Steps and responsibility"), steps),
        (_("Inputs and outputs"), f"{_('input')}: {version.inputs}; {_('outputs')}: {version.outputs}"),
        (_("Time limits and standards"), "; ".join(x for x in (limits, quality) if x)),
        (_("Escalation"), escalation),
        (_("Exception plans"), plans),
    ]


def _step_rows(version):
    for s in version.steps.all():
        yield [
            s.position,
            s.name,
            str(s.department) if s.department_id else "",
            s.get_role_display(),
            _("automatic") if s.automatic else _("manual"),
            _limit(s),
            s.standard,
            s.inputs,
            s.outputs,
            "\n".join(s.checks),
        ]


def _step_header():
    return [
        "#",
        _("Step"),
        _("Department"),
        _("Role"),
        _("Kind"),
        _("Time limit"),
        _("Operating standard"),
        _("Inputs"),
        _("Outputs"),
        _("Quality checks"),
    ]


def _plan_rows(version):
    for p in version.exception_plans.all():
        yield [p.position, p.trigger, p.action, str(p.department or ""), time_limit(p.response_limit, p.response_unit)]


def _filename(version, ext):
    return f"template2-{version.process.code}-v{version.number}.{ext}"


def template2_xlsx(version):
    return xlsx_response(
        _filename(version, "xlsx"),
        [
            Sheet(_("Standard"), [_("Field"), _("Value")], template2_rows(version)),
            Sheet(_("Steps"), _step_header(), _step_rows(version)),
            Sheet(
                _("Exception plans"),
                ["#", _("Trigger"), _("Required action"), _("Department"), _("Response time limit")],
                _plan_rows(version),
            ),
        ],
    )


def template2_csv(version):
    rows = [list(row) for row in template2_rows(version)]
    rows.append([])
    rows.append(_step_header())
    rows.extend(_step_rows(version))
    return csv_response(_filename(version, "csv"), [_("Field"), _("Value")], rows)


def sop_context(version) -> dict:
    return {"flowchart": flowchart_svg(version), "template2": template2_rows(version)}
