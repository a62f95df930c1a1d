"""Rollout pages: plan list and form, the plan (timetable, coverage, training), a training session
(invitations and attendance) and monitoring (figures and reviews per period).

A form sent with mistakes comes back in the page with its errors and everything typed (HTTP 400);
permission failures are 403, plans outside the user's scope 404."""

from __future__ import annotations

from datetime import timedelta

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from metrics.selectors.dashboards import COLORS, LAYOUT
from processes import access
from processes.constants import MANAGE_PROJECT, VIEW
from processes.models import Department
from processes.services import work
from processes.views.base import CapabilityRequiredMixin, error_messages

from ..choices import MilestoneStatus
from ..forms import rollout as forms
from ..selectors import rollout as selectors
from ..services import rollout as services

FINISHED = (MilestoneStatus.DONE, MilestoneStatus.CANCELLED)


def _form_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _flash(request, exc: Exception) -> None:
    for message in error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


def _to(name, *args, anchor=""):
    return redirect(reverse(f"rollouts:{name}", args=args) + (f"#{anchor}" if anchor else ""))


# Plans
# ------------------------------------------------------------------------------


class PlanListView(CapabilityRequiredMixin, View):
    capability = VIEW

    def get(self, request):
        plans = selectors.plan_list_with_counts(user=request.user)
        return render(
            request,
            "pilots/rollout/plan_list.html",
            {"plans": plans, "can_create": access.can(request.user, MANAGE_PROJECT, any_department=True)},
        )


class PlanFormView(CapabilityRequiredMixin, View):
    capability = MANAGE_PROJECT
    template_name = "pilots/rollout/plan_form.html"

    def objects(self, request, pk):
        if pk is None:
            return None
        plan = selectors.plan_get(user=request.user, pk=pk)
        if not selectors.can_manage(request.user, plan):
            raise PermissionDenied
        return plan

    def get(self, request, pk=None):
        plan = self.objects(request, pk)
        initial = {}
        if plan is None:
            today = timezone.localdate()
            initial = {"starts_on": today, "daily_until": today + timedelta(days=13)}
            if request.GET.get("version", "").isdigit():
                initial["version"] = int(request.GET["version"])
        form = forms.PlanForm(instance=plan, user=request.user, initial=initial)
        return render(request, self.template_name, {"form": form, "plan": plan})

    def post(self, request, pk=None):
        plan = self.objects(request, pk)
        form = forms.PlanForm(request.POST, instance=plan, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if plan is None:
                    plan = services.plan_create(user=request.user, **data)
                else:
                    services.plan_update(plan=plan, user=request.user, **data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Rollout plan saved."))
                return _to("detail", plan.pk)
        return render(request, self.template_name, {"form": form, "plan": plan}, status=400)


def _plan_context(request, plan, *, milestone_form=None, edited=None, session_form=None, open_form=""):
    user = request.user
    today = timezone.localdate()
    manage = selectors.can_manage(user, plan)
    milestones = selectors.milestone_list(plan, today=today)
    for m in milestones:
        m.editable = manage and m.status not in FINISHED
        if edited is not None and edited.instance.pk == m.pk:
            m.form = edited
        elif m.editable:
            m.form = forms.MilestoneForm(instance=m, prefix=f"m{m.pk}", user=user)
        m.can_complete = m.work_item_id is not None and work.can_complete(user, m.work_item)
        m.can_start = m.status == MilestoneStatus.PLANNED and (m.owner_id == user.pk or manage)
    if milestone_form is None:
        initial = {"owner": user.pk}
        switch = request.GET.get("switch", "")
        if switch.isdigit() and Department.objects.filter(pk=switch).exists():
            department = Department.objects.get(pk=switch)
            initial.update(
                switches_department=department.pk,
                title_en=f"Switch {department.name_en} over to the new version",
                title_zh=f"{department.name_zh or department.name_en}切换到新版本",
            )
            open_form = open_form or "milestone"
        milestone_form = forms.MilestoneForm(initial=initial, user=user)
    coverage = selectors.department_coverage(plan)
    training = selectors.training_coverage(plan)
    totals = training[-1]
    people = sum(t.people for t in totals.tiers)
    trained = sum(t.completed for t in totals.tiers)
    active = [m for m in milestones if m.status != MilestoneStatus.CANCELLED]
    return {
        "plan": plan,
        "version": plan.version,
        "milestones": milestones,
        "milestone_form": milestone_form,
        "session_form": session_form or forms.SessionForm(user=user),
        "open_milestone": open_form == "milestone",
        "open_session": open_form == "session",
        "coverage": coverage,
        "switched": sum(1 for c in coverage if c.covered),
        "training": training,
        "sessions": selectors.session_list(plan),
        "stats": {
            "done": sum(1 for m in active if m.status == MilestoneStatus.DONE),
            "total": len(active),
            "late": sum(1 for m in milestones if m.is_late),
            "trained": trained,
            "people": people,
            "trained_rate": round(trained * 100 / people) if people else None,
        },
        "can_manage": manage,
        "today": today,
        "history": selectors.history_for_plan(plan),
    }


class PlanDetailView(CapabilityRequiredMixin, View):
    """The plan page, and its commands (POST ``<action>/`` or ``<action>/<obj>/``)."""

    capability = VIEW
    template_name = "pilots/rollout/plan_detail.html"

    def get(self, request, pk, action=None, obj=None):
        plan = selectors.plan_get(user=request.user, pk=pk)
        if action is not None:  # a command's address, reloaded after a form came back with errors
            return _to("detail", plan.pk)
        return render(request, self.template_name, _plan_context(request, plan))

    def post(self, request, pk, action=None, obj=None):
        plan = selectors.plan_get(user=request.user, pk=pk)
        user, data = request.user, request.POST
        if action == "milestone":
            form = forms.MilestoneForm(data, user=user)
            if form.is_valid():
                try:
                    milestone = services.milestone_save(plan=plan, user=user, **form.cleaned_data)
                except ValidationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("Milestone added; it is in its owner's inbox."))
                    return _to("detail", plan.pk, anchor=f"milestone-{milestone.pk}")
            context = _plan_context(request, plan, milestone_form=form, open_form="milestone")
            return render(request, self.template_name, context, status=400)
        if action == "session":
            form = forms.SessionForm(data, user=user)
            if form.is_valid():
                try:
                    session = services.session_save(plan=plan, user=user, **form.cleaned_data)
                except ValidationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("Training session added; invite people now."))
                    return _to("session", plan.pk, session.pk)
            context = _plan_context(request, plan, session_form=form, open_form="session")
            return render(request, self.template_name, context, status=400)
        if obj is None:
            raise Http404
        milestone = get_object_or_404(plan.milestones.select_related("work_item", "plan"), pk=obj)
        if action == "edit":
            form = forms.MilestoneForm(data, instance=milestone, prefix=f"m{milestone.pk}", user=user)
            if form.is_valid():
                try:
                    services.milestone_save(plan=plan, user=user, milestone=milestone, **form.cleaned_data)
                except ValidationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("Milestone saved."))
                    return _to("detail", plan.pk, anchor=f"milestone-{milestone.pk}")
            context = _plan_context(request, plan, edited=form, open_form=f"m{milestone.pk}")
            return render(request, self.template_name, context, status=400)
        try:
            if action in ("up", "down"):
                services.milestone_move(milestone=milestone, user=user, direction=action)
            elif action == "start":
                services.milestone_start(milestone=milestone, user=user)
                messages.success(request, _("Milestone in progress."))
            elif action == "done":
                services.milestone_complete(milestone=milestone, user=user, note=data.get("note", ""))
                messages.success(request, _("Milestone done."))
            elif action == "cancel":
                services.milestone_cancel(milestone=milestone, user=user)
                messages.success(request, _("Milestone cancelled; its work left the owner's inbox."))
            else:
                raise Http404
        except work.Conflict as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            _flash(request, exc)
        return _to("detail", plan.pk, anchor=f"milestone-{milestone.pk}")


# Training sessions
# ------------------------------------------------------------------------------


def _session_context(request, plan, session, *, edit_form=None, invite_form=None, marks=None, errors=None):
    manage = selectors.can_manage(request.user, plan)
    rows = list(selectors.attendance_list(session))
    errors = errors or {}
    for row in rows:
        row.tiers = selectors.user_tiers(row.user)
        row.in_tier = session.tier in row.tiers
        row.show_attended, row.show_completed = (marks or {}).get(row.pk, (row.attended, row.completed))
        row.error = errors.get(f"attendance[{row.pk}]")
    return {
        "plan": plan,
        "session": session,
        "rows": rows,
        "can_manage": manage,
        "edit_form": edit_form or (forms.SessionForm(instance=session, user=request.user) if manage else None),
        "invite_form": invite_form or (forms.InviteForm(session=session, user=request.user) if manage else None),
        "open_edit": edit_form is not None,
        "history": selectors.history_for_session(session),
    }


class SessionView(CapabilityRequiredMixin, View):
    capability = VIEW
    template_name = "pilots/rollout/session_detail.html"

    def objects(self, request, pk, sid):
        plan = selectors.plan_get(user=request.user, pk=pk)
        return plan, selectors.session_get(plan, sid)

    def get(self, request, pk, sid, action=None, obj=None):
        plan, session = self.objects(request, pk, sid)
        if action is not None:
            return _to("session", plan.pk, session.pk)
        return render(request, self.template_name, _session_context(request, plan, session))

    def post(self, request, pk, sid, action, obj=None):
        plan, session = self.objects(request, pk, sid)
        user, data = request.user, request.POST
        if action == "edit":
            form = forms.SessionForm(data, instance=session, user=request.user)
            if form.is_valid():
                try:
                    services.session_save(plan=plan, user=user, session=session, **form.cleaned_data)
                except ValidationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("Session saved."))
                    return _to("session", plan.pk, session.pk)
            session = selectors.session_get(plan, sid)  # the form kept the typed values; the page shows the saved
            context = _session_context(request, plan, session, edit_form=form)
            return render(request, self.template_name, context, status=400)
        if action == "invite":
            form = forms.InviteForm(data, session=session, user=request.user)
            if form.is_valid():
                try:
                    made = services.attendance_invite(
                        session=session,
                        user=user,
                        people=form.cleaned_data["people"],
                        department=form.cleaned_data["department"],
                        tier=form.cleaned_data["tier"] or None,
                    )
                except ValidationError as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(request, _("%(n)s people invited.") % {"n": made})
                    return _to("session", plan.pk, session.pk, anchor="attendance")
            context = _session_context(request, plan, session, invite_form=form)
            return render(request, self.template_name, context, status=400)
        if action == "attendance":
            marks = {}
            for value in data.getlist("row"):
                if value.isdigit():
                    pk_ = int(value)
                    marks[pk_] = (f"attended-{pk_}" in data, f"completed-{pk_}" in data)
            try:
                changed = services.attendance_mark(session=session, user=user, marks=marks)
            except ValidationError as exc:
                messages.error(request, _("Nothing was saved: correct the marked rows."))
                context = _session_context(request, plan, session, marks=marks, errors=exc.message_dict)
                return render(request, self.template_name, context, status=400)
            messages.success(request, _("Attendance saved (%(n)s changed).") % {"n": changed})
            return _to("session", plan.pk, session.pk, anchor="attendance")
        if action == "remove" and obj is not None:
            row = get_object_or_404(session.attendance.select_related("user", "session__plan"), pk=obj)
            try:
                services.attendance_remove(attendance=row, user=user)
            except ValidationError as exc:
                _flash(request, exc)
            else:
                messages.success(request, _("Invitation withdrawn."))
            return _to("session", plan.pk, session.pk, anchor="attendance")
        raise Http404


# Monitoring
# ------------------------------------------------------------------------------


def monitoring_chart(rows) -> dict:
    """Processing time (h, left axis) and the two rates (%, right axis) per period, oldest first."""

    rows = [r for r in reversed(rows)]
    labels = [r.period.short_label + (" *" if r.current else "") for r in rows]

    def values(name):
        return [float(v) if (v := getattr(r.figures, name)) is not None else None for r in rows]

    hours, errors, on_time = values("processing_hours"), values("error_rate"), values("on_time_rate")
    figure = go.Figure(
        [
            go.Bar(name=_("Processing time (h)"), x=labels, y=hours, marker_color=COLORS["after"]),
            go.Scatter(
                name=_("Error rate (%)"),
                x=labels,
                y=errors,
                yaxis="y2",
                mode="lines+markers",
                line=dict(color=COLORS["bad"]),
                connectgaps=False,
            ),
            go.Scatter(
                name=_("On-time rate (%)"),
                x=labels,
                y=on_time,
                yaxis="y2",
                mode="lines+markers",
                line=dict(color=COLORS["ok"]),
                connectgaps=False,
            ),
        ]
    )
    title = _("Figures per review period")
    layout = dict(LAYOUT)
    # room above the plot for the legend to wrap onto three lines on a phone, under the title
    layout.update(margin=dict(l=50, r=50, t=120, b=70), height=380)
    figure.update_layout(
        title=dict(text=title, x=0, y=0.97, yanchor="top"),
        yaxis=dict(title=_("hours"), rangemode="tozero"),
        yaxis2=dict(
            title="%", overlaying="y", side="right", range=[0, 104], tickvals=[0, 25, 50, 75, 100], showgrid=False
        ),
        xaxis=dict(type="category", automargin=True),
        **layout,
    )
    table = [[r.period.label, r.figures.runs, hours[i], errors[i], on_time[i]] for i, r in enumerate(rows)]
    header = [_("Period"), _("Runs"), _("Processing time (h)"), _("Error rate (%)"), _("On-time rate (%)")]
    return {"title": title, "json": figure.to_json(), "header": header, "rows": table}


class MonitoringView(CapabilityRequiredMixin, View):
    capability = VIEW
    template_name = "pilots/rollout/monitoring.html"

    def context(self, request, plan, *, closing=None):
        rows = selectors.monitoring_rows(plan)
        for row in rows:
            item = row.review.work_item if row.review else None
            row.form_open = False
            row.can_close = item is not None and row.review.closed_at is None and work.can_complete(request.user, item)
            if row.can_close:
                bound = closing if closing is not None and closing[0] == row.review.pk else None
                row.form = bound[1] if bound else forms.ReviewCloseForm(prefix=f"r{row.review.pk}")
                row.form_open = bound is not None
        return {
            "plan": plan,
            "rows": rows,
            "chart": monitoring_chart(rows) if rows else None,
            "switches": plan.switches.select_related("department").order_by("switched_on"),
            "can_manage": selectors.can_manage(request.user, plan),
        }

    def get(self, request, pk, rid=None):
        plan = selectors.plan_get(user=request.user, pk=pk)
        if rid is not None:
            return _to("monitoring", plan.pk)
        return render(request, self.template_name, self.context(request, plan))

    def post(self, request, pk, rid):
        plan = selectors.plan_get(user=request.user, pk=pk)
        review = selectors.review_get(plan, rid)
        form = forms.ReviewCloseForm(request.POST, prefix=f"r{review.pk}")
        if form.is_valid():
            try:
                services.review_close(review=review, user=request.user, conclusions=form.cleaned_data["conclusions"])
            except work.Conflict as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Review closed."))
                return _to("monitoring", plan.pk, anchor=f"review-{review.pk}")
        context = self.context(request, plan, closing=(review.pk, form))
        return render(request, self.template_name, context, status=400)
