"""Mapping (phase 2): template 1's current-state analyses with their as-is steps, and the bottleneck
table, kept by hand or suggested from the analyses, the standard and the runs (``bottleneck_suggest``)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils.translation import gettext as _

from ..choices import Role, SuggestionState, VersionStatus, WorkKind
from ..models import AsIsStep, Bottleneck, CurrentStateAnalysis, ImprovementProject, WorkItem
from ..models.base import is_chinese
from ..models.work import OPEN_STATUSES
from .projects import process_check, project_processes, require_manage
from .work import audit, clean_and_save


@transaction.atomic
def analysis_save(*, project, user, process, steps: list[dict], analysis=None, **fields) -> CurrentStateAnalysis:
    """Save a template 1 row with its as-is steps (in order); any bad step stores nothing."""
    require_manage(user, project)
    process_check(project, process)
    analysis = analysis or CurrentStateAnalysis.objects.filter(project=project, process=process).first()
    analysis = analysis or CurrentStateAnalysis(project=project, process=process)
    analysis.process = process
    for name, value in fields.items():
        setattr(analysis, name, value)
    clean_and_save(analysis, user)
    analysis.steps.all().delete()
    errors = {}

    for position, row in enumerate(steps, start=1):
        step = AsIsStep(analysis=analysis, position=position, **row)
        try:
            step.full_clean()
        except ValidationError as exc:
            errors[f"steps[{position}]"] = exc.messages
            continue
        audit(step, user).save()
    if errors:
        raise ValidationError(errors)
    return analysis


@transaction.atomic
def bottleneck_save(*, project, user, bottleneck: Bottleneck | None = None, problems=None, **fields) -> Bottleneck:
    require_manage(user, project)
    process_check(project, fields.get("process"))
    if problems is not None and any(p.project_id != project.pk for p in problems):
        raise ValidationError({"problems": [_("Choose problems of this project.")]})
    bottleneck = bottleneck or Bottleneck(project=project)
    for name, value in fields.items():
        setattr(bottleneck, name, value)
    clean_and_save(bottleneck, user)
    if problems is not None:
        bottleneck.problems.set(problems)
    return bottleneck


@transaction.atomic
def bottleneck_decide(*, bottleneck: Bottleneck, user, accept: bool) -> Bottleneck:
    require_manage(user, bottleneck.project)
    bottleneck.state = SuggestionState.ACCEPTED if accept else SuggestionState.REJECTED
    return clean_and_save(bottleneck, user)


# Bottleneck suggestions
# ------------------------------------------------------------------------------


@transaction.atomic
def bottleneck_suggest(*, project: ImprovementProject, user) -> list[Bottleneck]:
    """Propose bottleneck rows from the data; each suggestion is made once (its key is unique).

    - break points: a hand-off to another department without a time limit (as-is steps marked
      without a limit, and manual steps of the current standard without a limit);
    - the as-is step with the largest share of the total time (40 % or more);
    - from the runs: the department and role with the most open work and the longest waiting time.
    """

    require_manage(user, project)
    made = []

    def propose(process, kind, step, evidence, key):
        if Bottleneck.objects.filter(project=project, suggestion_key=key).exists():
            return
        row = Bottleneck(
            project=project,
            suggestion_key=key,
            process=process,
            kind=kind,
            step=step[:200],
            evidence=evidence,
            state=SuggestionState.SUGGESTED,
        )
        try:
            with transaction.atomic():
                audit(row, user).save()
        except IntegrityError:
            return  # suggested by a concurrent request a moment ago
        made.append(row)

    for process in project_processes(project):
        analysis = project.analyses.filter(process=process).first()
        steps = list(analysis.steps.all()) if analysis else []
        previous = None
        for step in steps:
            crosses = previous is not None and step.department_id and step.department_id != previous.department_id
            if not step.time_limit_known:
                evidence = (
                    _("Hand-off from %(a)s to %(b)s has no time limit.")
                    % {"a": previous.department, "b": step.department}
                    if crosses
                    else _("The step has no time limit.")
                )
                propose(process, "break_point", step.name, evidence, f"asis-nolimit:{process.pk}:{step.name_en}")
            previous = step
        timed = [s for s in steps if s.hours]
        total = sum(s.hours for s in timed)
        if len(timed) >= 2 and total:
            slowest = max(timed, key=lambda s: s.hours)
            share = slowest.hours / total
            if share >= Decimal("0.4"):
                evidence = _("%(step)s takes %(hours)s h, %(share)s%% of the whole flow.") % {
                    "step": slowest.name,
                    "hours": f"{slowest.hours.normalize():f}",
                    "share": f"{share * 100:.0f}",
                }
                propose(process, "choke_point", slowest.name, evidence, f"asis-share:{process.pk}:{slowest.name_en}")
        current = process.versions.filter(status=VersionStatus.PUBLISHED).first()
        if current is not None:
            previous = None
            for step in current.steps.select_related("department"):
                crosses = previous is not None and step.department_id != previous.department_id
                if crosses and not step.automatic and step.time_limit is None:
                    evidence = _("Hand-off from %(a)s to %(b)s has no time limit in the standard.") % {
                        "a": previous.department,
                        "b": step.department,
                    }
                    propose(process, "break_point", step.name, evidence, f"std-nolimit:{process.pk}:{step.key}")
                previous = step
        busiest = (
            WorkItem.objects.filter(run__version__process=process, kind=WorkKind.STEP, automatic=False)
            .values("department__name_en", "department__name_zh", "role")
            .annotate(
                open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
                waiting=Avg("waiting_seconds"),
            )
            .order_by("-open", "-waiting")
            .first()
        )
        if busiest and (busiest["open"] or busiest["waiting"]):
            dept = (busiest["department__name_zh"] if is_chinese() else "") or busiest["department__name_en"]
            label = f"{dept} · {Role(busiest['role']).label}"
            evidence = _("%(open)s open steps; average wait before work starts %(hours)s h.") % {
                "open": busiest["open"],
                "hours": f"{(busiest['waiting'] or 0) / 3600:.1f}",
            }
            propose(process, "choke_point", label, evidence, f"runs-backlog:{process.pk}:{label}")
    return made
