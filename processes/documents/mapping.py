"""The documents of a current-state analysis (template 1): its exports (XLSX, CSV) and the parsing
of an uploaded one."""

from django.utils.translation import gettext as _

from opsflow.exports import Sheet, csv_response, xlsx_response

from ..selectors.mapping import flow_text, parse_flow

RISK_WORDS = {"high": "high", "medium": "medium", "low": "low", "高": "high", "中": "medium", "低": "low"}


def template1_header():
    return [_("Process"), _("Owner"), _("Current state (steps / time)"), _("Main pain points"), _("Risk level")]


def template1_rows(analyses):
    for analysis in analyses:
        yield [
            str(analysis.process),
            analysis.owner,
            flow_text(list(analysis.steps.all())),
            analysis.pain_points,
            analysis.get_risk_display(),
        ]


def template1_export(analyses, fmt, filename):
    rows = list(template1_rows(analyses))
    if fmt == "csv":
        return csv_response(f"{filename}.csv", template1_header(), rows)
    return xlsx_response(f"{filename}.xlsx", [Sheet(_("Current-state analysis"), template1_header(), rows)])


AS_IS_HOURS_LIMIT = 10**6


def template1_parse(project, header, rows):
    """Rows of an uploaded template 1 (process code or name, owner, "a (4 h) -> b (2 h)", pain points,
    risk) as analysis data; every bad row is named, and nothing is returned to store if any is bad."""
    processes = {p.code.lower(): p for p in project.processes.all()}
    processes.update({p.name_en.lower(): p for p in project.processes.all()})
    processes.update({p.name_zh: p for p in project.processes.all() if p.name_zh})
    parsed, errors = [], []
    for number, cells in rows:
        cells = cells + [""] * (5 - len(cells))
        process = processes.get(cells[0].lower()) or processes.get(cells[0])
        risk = RISK_WORDS.get(cells[4].strip().lower()) or RISK_WORDS.get(cells[4].strip())
        problems = []
        if process is None:
            problems.append(_("unknown process %(name)r (it must be one of the project's)") % {"name": cells[0]})
        if not cells[1]:
            problems.append(_("the owner is missing"))
        steps = parse_flow(cells[2]) if cells[2] else []
        if not steps:
            problems.append(_("no steps in the current state"))
        for step in steps:
            if step["hours"] is not None and step["hours"] >= AS_IS_HOURS_LIMIT:  # the column's 8 digits
                problems.append(
                    _("the time of %(step)r is more than %(max)s hours") % {"step": step["name_en"], "max": "999999"}
                )
        if risk is None:
            problems.append(_("risk must be high, medium or low"))
        if problems:
            errors.append(_("Row %(n)s: %(problems)s.") % {"n": number, "problems": "; ".join(problems)})
            continue
        parsed.append({"process": process, "owner": cells[1], "pain_points_en": cells[3], "risk": risk, "steps": steps})
    return parsed, errors
