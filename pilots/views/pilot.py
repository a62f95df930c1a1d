"""Pilot pages: list, create/edit, the pilot page (stand-ups, template 3, surveys, interviews), the
survey form and results, and the pilot feedback report (page, XLSX, print)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from opsflow.exports import Sheet, xlsx_response
from processes import access
from processes.constants import MANAGE_PROJECT, VIEW
from processes.documents.formatting import number
from processes.views.base import CapabilityRequiredMixin, error_messages

from ..choices import FeedbackStatus, PilotStatus
from ..forms import pilot as forms
from ..models import FeedbackItem, Survey
from ..selectors import pilot as selectors
from ..services import pilot as pilots


class PilotListView(CapabilityRequiredMixin, TemplateView):
    template_name = "pilots/pilot/list.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pilots"] = selectors.pilot_list(user=self.request.user).prefetch_related(
            "departments", "control_departments"
        )
        context["can_create"] = access.can(self.request.user, MANAGE_PROJECT, any_department=True)
        return context


class PilotFormView(CapabilityRequiredMixin, View):
    capability = MANAGE_PROJECT
    template_name = "pilots/pilot/form.html"

    def _pilot(self, request, pk):
        if pk is None:
            return None
        pilot = selectors.pilot_get(user=request.user, pk=pk)
        if not pilots.can_manage(request.user, pilot):
            raise PermissionDenied
        return pilot

    def get(self, request, pk=None):
        pilot = self._pilot(request, pk)
        form = forms.PilotForm(instance=pilot, user=request.user)
        return render(request, self.template_name, {"form": form, "pilot": pilot})

    def post(self, request, pk=None):
        pilot = self._pilot(request, pk)
        form = forms.PilotForm(request.POST, instance=pilot, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            departments, control = list(data.pop("departments")), list(data.pop("control_departments"))
            try:
                if pilot is None:
                    pilot = pilots.pilot_create(
                        user=request.user, departments=departments, control_departments=control, **data
                    )
                else:
                    pilot = pilots.pilot_update(
                        pilot=pilot, user=request.user, departments=departments, control_departments=control, **data
                    )
            except ValidationError as exc:
                _add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Pilot saved."))
                return redirect("pilots:detail", pk=pilot.pk)
        return render(request, self.template_name, {"form": form, "pilot": pilot}, status=400)


def _add_errors(form, exc: ValidationError):
    """Put a service's errors on the form's fields where it has them, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class PilotDetailView(CapabilityRequiredMixin, View):
    """The pilot page. POST ``action`` runs one command; a form with errors comes back in the page,
    with what was typed, and a 400."""

    capability = VIEW
    template_name = "pilots/pilot/detail.html"

    def context(self, request, pilot, **bound):
        user = request.user
        can_manage = pilots.can_manage(user, pilot)
        works_on = pilots.works_on_pilot(user, pilot)
        running = pilot.status == PilotStatus.RUNNING
        feedback = list(pilot.feedback.select_related("department", "responsible_department", "work_item", "raised_by"))
        surveys = list(pilot.surveys.all())
        for survey in surveys:
            survey.answered = survey.responses.filter(respondent=user).exists()
            survey.can_answer = pilots.can_answer(user, survey) and not survey.answered
        return {
            "pilot": pilot,
            "can_manage": can_manage,
            "can_start": can_manage and pilot.status == PilotStatus.PLANNED,
            "can_close": can_manage and running,
            "can_feedback": works_on and running,
            "running": running,
            "departments": pilot.departments.all(),
            "control_departments": pilot.control_departments.all(),
            "standups": pilot.standups.select_related("draft_version").prefetch_related("attendees"),
            "feedback": feedback,
            "surveys": surveys,
            "interviews": pilot.interviews.select_related("interviewer"),
            "run_counts": selectors.pilot_report_runs(pilot),
            "now": timezone.now(),
            "standup_form": bound.get("standup") or forms.StandUpForm(pilot=pilot),
            "feedback_form": bound.get("feedback") or forms.FeedbackForm(pilot=pilot),
            "survey_form": bound.get("survey") or forms.SurveyForm(),
            "interview_form": bound.get("interview") or forms.InterviewForm(),
            "close_form": bound.get("close") or forms.CloseForm(),
            "open_form": next(iter(bound), ""),
            "history": selectors.history_for_pilot(pilot),
        }

    def get(self, request, pk):
        pilot = selectors.pilot_get(user=request.user, pk=pk)
        return render(request, self.template_name, self.context(request, pilot))

    def post(self, request, pk, action):
        pilot = selectors.pilot_get(user=request.user, pk=pk)
        user, data = request.user, request.POST
        form_classes = {
            "standup": lambda: forms.StandUpForm(data, pilot=pilot),
            "feedback": lambda: forms.FeedbackForm(data, pilot=pilot),
            "survey": lambda: forms.SurveyForm(data),
            "interview": lambda: forms.InterviewForm(data),
            "close": lambda: forms.CloseForm(data),
        }
        try:
            if action == "start":
                pilots.pilot_start(pilot=pilot, user=user)
                messages.success(request, _("The pilot runs: runs in its scope use the version on trial."))
                return redirect("pilots:detail", pk=pilot.pk)
            if action not in form_classes:
                raise Http404
            form = form_classes[action]()
            if form.is_valid():
                try:
                    self.save(action, form, pilot, user)
                except ValidationError as exc:
                    _add_errors(form, exc)
                else:
                    return redirect(self.next_url(action, pilot))
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Your role or department does not allow this."))
            return redirect("pilots:detail", pk=pilot.pk)
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
            return redirect("pilots:detail", pk=pilot.pk)
        pilot.refresh_from_db()
        return render(request, self.template_name, self.context(request, pilot, **{action: form}), status=400)

    def next_url(self, action, pilot):
        from django.urls import reverse

        anchors = {"standup": "standups", "feedback": "feedback", "survey": "surveys", "interview": "interviews"}
        return reverse("pilots:detail", args=[pilot.pk]) + (f"#{anchors[action]}" if action in anchors else "")

    def save(self, action, form, pilot, user):
        values = dict(form.cleaned_data)
        request = self.request
        if action == "standup":
            standup = pilots.standup_save(
                pilot=pilot,
                user=user,
                attendees=list(values.pop("attendees")),
                new_time_unit=values.pop("new_time_unit") or "",
                **values,
            )
            if standup.draft_version_id:
                messages.success(
                    request,
                    _("Stand-up recorded. The change is in draft version %(number)s of the standard.")
                    % {"number": standup.draft_version.number},
                )
            else:
                messages.success(request, _("Stand-up recorded."))
        elif action == "feedback":
            item = pilots.feedback_raise(pilot=pilot, user=user, **values)
            messages.success(request, _("Feedback %(number)s recorded.") % {"number": item.number})
        elif action == "survey":
            survey = pilots.survey_create(pilot=pilot, user=user, **values)
            messages.success(request, _("Survey “%(title)s” is open for the pilot's staff.") % {"title": survey.title})
        elif action == "interview":
            pilots.interview_save(pilot=pilot, user=user, **values)
            messages.success(request, _("Interview recorded."))
        elif action == "close":
            pilots.pilot_close(pilot=pilot, user=user, conclusion=values["conclusion"])
            messages.success(request, _("The pilot is closed."))


class FeedbackDecideView(CapabilityRequiredMixin, View):
    capability = MANAGE_PROJECT

    def post(self, request, pk, decision):
        item = get_object_or_404(FeedbackItem.objects.select_related("pilot"), pk=pk)
        pilot = selectors.pilot_get(user=request.user, pk=item.pilot_id)
        if decision not in ("accept", "reject"):
            raise Http404
        try:
            item = pilots.feedback_decide(
                item=item, user=request.user, accept=decision == "accept", note=request.POST.get("note", "")
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]:
                messages.error(request, message)
        else:
            if item.status == FeedbackStatus.ACCEPTED:
                messages.success(
                    request,
                    _("Accepted: it is in the inbox of %(department)s, due %(due)s.")
                    % {
                        "department": item.responsible_department,
                        "due": timezone.localtime(item.work_item.due_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
            else:
                messages.success(request, _("Rejected."))
        return redirect(f"{pilot.get_absolute_url()}#feedback-{item.number}")


class SurveyView(CapabilityRequiredMixin, View):
    """Staff in the pilot's scope answer here; the results show to everyone who may see the pilot."""

    capability = VIEW
    template_name = "pilots/pilot/survey.html"

    def objects(self, request, pk):
        survey = get_object_or_404(Survey.objects.select_related("pilot"), pk=pk)
        selectors.pilot_get(user=request.user, pk=survey.pilot_id)  # 404 outside the user's scope
        return survey

    def page(self, request, survey, form, status=200):
        answered = survey.responses.filter(respondent=request.user).exists()
        context = {
            "survey": survey,
            "pilot": survey.pilot,
            "form": form if pilots.can_answer(request.user, survey) and not answered else None,
            "answered": answered,
            "results": selectors.survey_results(survey),
            "responses": survey.responses.count(),
            "can_manage": pilots.can_manage(request.user, survey.pilot),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        survey = self.objects(request, pk)
        return self.page(request, survey, forms.SurveyAnswerForm(survey=survey))

    def post(self, request, pk):
        survey = self.objects(request, pk)
        if request.POST.get("action") == "close":
            try:
                pilots.survey_close(survey=survey, user=request.user)
            except PermissionDenied as exc:
                messages.error(request, str(exc))
            return redirect("pilots:survey", pk=survey.pk)
        form = forms.SurveyAnswerForm(request.POST, survey=survey)
        if form.is_valid():
            try:
                pilots.survey_answer(survey=survey, user=request.user, answers=form.answers())
            except ValidationError as exc:
                _add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Thank you: your answers are recorded."))
                return redirect("pilots:survey", pk=survey.pk)
        return self.page(request, survey, form, status=400)


class ReportView(CapabilityRequiredMixin, View):
    """The pilot feedback report: a page (printable), or an XLSX workbook with ``?format=xlsx``."""

    capability = VIEW

    def get(self, request, pk):
        pilot = selectors.pilot_get(user=request.user, pk=pk)
        report = selectors.pilot_report(pilot)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(f"pilot-report-{pilot.pk}.xlsx", report_sheets(report))
        template = "pilots/pilot/report_print.html" if request.GET.get("print") else "pilots/pilot/report.html"
        context = {"pilot": pilot, "report": report, "now": timezone.now(), "feedback_statuses": FeedbackStatus.choices}
        return render(request, template, context)


def _value(value) -> str:
    return "" if value is None or value.value is None else number(value.value)


def report_sheets(report) -> list[Sheet]:
    """The report as workbook sheets: figures, steps, exceptions and escalations, feedback, surveys."""
    figures = Sheet(
        _("Pilot vs control vs baseline"),
        [_("Indicator"), _("Unit"), _("Pilot"), _("Control"), _("Baseline"), _("Change vs baseline (%)")],
        [
            [
                f.indicator.name,
                f.indicator.unit,
                _value(f.pilot),
                _value(f.control),
                _value(f.baseline),
                "" if f.change is None else number(f.change),
            ]
            for f in report.figures
        ],
    )
    steps = Sheet(
        _("Steps"),
        [_("No."), _("Step"), _("Time limit"), _("Started"), _("Finished"), _("Mean time (h)"), _("On time (%)")],
        [
            [s.position, s.title, s.limit, s.started, s.finished, number(s.mean_hours), number(s.on_time_rate)]
            for s in report.steps
        ],
    )
    exceptions = Sheet(
        _("Exceptions and escalations"),
        [_("What"), _("Count"), _("Still open")],
        [[row["trigger"], row["n"], row["open"]] for row in report.exceptions]
        + [[_("Escalation level %(level)s") % {"level": row["level"]}, row["n"], ""] for row in report.escalations],
    )
    feedback = Sheet(
        _("Pilot feedback (template 3)"),
        [
            _("No."),
            _("Pilot department"),
            _("Problem"),
            _("Suggested improvement"),
            _("Responsible department"),
            _("Due (working days)"),
            _("Status"),
            _("Resolution"),
        ],
        [
            [
                f.number,
                str(f.department),
                f.problem,
                f.suggestion,
                str(f.responsible_department),
                f.due_days,
                f.get_status_display(),
                f.resolution or f.decision_note,
            ]
            for f in report.feedback_items
        ],
    )
    survey_rows = []
    for survey, results, _responses in report.surveys:
        for result in results:
            if result.distribution is not None:
                survey_rows.append(
                    [str(survey), result.question.text, result.answers, number(result.mean), *result.distribution]
                )
            else:
                survey_rows.append([str(survey), result.question.text, result.answers, "", "", "", "", "", ""])
    surveys = Sheet(
        _("Surveys"),
        [_("Survey"), _("Question"), _("Answers"), _("Mean"), "1", "2", "3", "4", "5"],
        survey_rows,
    )
    return [figures, steps, exceptions, feedback, surveys]
