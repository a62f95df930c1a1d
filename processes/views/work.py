from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from .. import access, selectors
from ..choices import VersionStatus, WorkKind
from ..constants import VIEW
from ..forms.work import StartRunForm
from ..models import ExceptionPlan, StandardVersion
from ..services import work
from .base import CapabilityRequiredMixin, error_messages


class InboxView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/work/inbox.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        items = selectors.inbox_page(user=user)
        context.update(
            mine=[i for i in items if i.assignee_id == user.pk],
            queue=[i for i in items if i.assignee_id is None],
            now=timezone.now(),
        )
        return context


class WorkItemView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/work/item.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        item = selectors.work_item_get(user=user, pk=self.kwargs["pk"])
        plans = (
            list(ExceptionPlan.objects.filter(version_id=item.run.version_id))
            if item.kind == WorkKind.STEP and item.run_id
            else []
        )
        candidates = []
        if work.can_reassign(user, item):
            scope = access.department_scope(user)
            people = get_user_model().objects.filter(is_active=True).select_related("department").order_by("username")
            if scope is not None:
                people = people.filter(department__in=scope)
            candidates = [p for p in people if work.can_do_role(p, item.role, item.department_id)]
        context.update(
            item=item,
            checks=item.step.checks if item.step_id else [],
            plans=plans,
            can_claim=work.can_claim(user, item),
            can_complete=work.can_complete(user, item),
            # the kind asks for a resolution (feedback, reviews, actions: their app closes a record with it)
            resolution=getattr(work.kind_get(item.kind), "resolution", False),
            can_release=item.is_open
            and item.assignee_id is not None
            and (item.assignee_id == user.pk or work.can_reassign(user, item)),
            can_reassign=work.can_reassign(user, item),
            candidates=candidates,
            can_report=item.is_open
            and item.kind == WorkKind.STEP
            and bool(plans)
            and (item.assignee_id == user.pk or work.can_claim(user, item)),
            follow_ups=item.follow_ups.select_related("assignee", "department"),
            escalations=item.escalations.prefetch_related("recipients"),
            now=timezone.now(),
        )
        return context


class WorkItemActionView(CapabilityRequiredMixin, View):
    capability = VIEW

    def post(self, request, pk, action):
        user = request.user
        item = selectors.work_item_get(user=user, pk=pk)
        target = redirect("work:item-detail", pk=item.pk)
        try:
            if action == "claim":
                work.item_claim(item=item, user=user)
                messages.success(request, _("The work is yours now."))
            elif action == "release":
                work.item_release(item=item, user=user)
                messages.success(request, _("Released back to the queue."))
            elif action == "complete":
                work.item_complete(
                    item=item, user=user, checks=request.POST.getlist("checks"), note=request.POST.get("note", "")
                )
                messages.success(request, _("Done. The next step is in its owner's inbox."))
                target = redirect("work:inbox")
            elif action == "reassign":
                to_user = get_object_or_404(get_user_model(), pk=request.POST.get("to_user") or 0, is_active=True)
                work.item_reassign(item=item, user=user, to_user=to_user)
                messages.success(request, _("Reassigned to %(name)s.") % {"name": to_user.display_name})
            elif action == "exception":
                plan = get_object_or_404(ExceptionPlan, pk=request.POST.get("plan") or 0)
                follow_up = work.exception_report(item=item, user=user, plan=plan, note=request.POST.get("note", ""))
                messages.success(request, _("Exception reported; follow-up work was created."))
                target = redirect("work:item-detail", pk=follow_up.pk)
            else:
                raise Http404
        except work.Conflict as exc:
            messages.error(request, str(exc))
        except (ValidationError, PermissionDenied) as exc:
            for message in error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]:
                messages.error(request, message)
        return target


class RunListView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/work/run_list.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["runs"] = selectors.run_list(user=self.request.user)[:200]
        return context


class RunDetailView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/work/run_detail.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = selectors.run_get(user=self.request.user, pk=self.kwargs["pk"])
        items = list(run.items.all())
        reached = {item.position for item in items if item.kind == WorkKind.STEP}
        context["run"] = run
        context["items"] = items
        # the steps the run has not reached yet, so the timeline shows the whole standard
        context["pending_steps"] = [
            s for s in run.version.steps.select_related("department") if s.position not in reached
        ]
        context["now"] = timezone.now()
        context["history"] = selectors.history_for_run(run)
        return context


class RunStartView(CapabilityRequiredMixin, View):
    capability = VIEW
    template_name = "processes/work/run_start.html"

    def versions(self):
        qs = StandardVersion.objects.filter(
            status__in=[VersionStatus.PUBLISHED, VersionStatus.PILOTING]
        ).select_related("process")
        return access.scope_queryset(self.request.user, qs, field="process__department")

    def get(self, request):
        form = StartRunForm(user=request.user, versions=self.versions())
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = StartRunForm(request.POST, user=request.user, versions=self.versions())
        if form.is_valid():
            try:
                run, created = work.run_start(
                    version=form.cleaned_data["version"],
                    user=request.user,
                    department=form.cleaned_data["department"],
                    external_id=form.cleaned_data["external_id"],
                    title=form.cleaned_data["title"],
                    business_line=form.cleaned_data["business_line"],
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
            else:
                if created:
                    messages.success(request, _("Run started."))
                else:
                    messages.info(request, _("A run with this external id already exists; here it is."))
                return redirect("work:run-detail", pk=run.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class NotificationListView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/work/notifications.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["notifications"] = selectors.notification_list(user=self.request.user)[:200]
        return context

    def post(self, request):
        work.notifications_mark_read(user=request.user)
        return redirect("work:notifications")
