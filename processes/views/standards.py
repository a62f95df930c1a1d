from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from .. import access, selectors, services
from ..choices import VersionStatus
from ..constants import APPROVE_STANDARD, AUTHOR_STANDARD, VIEW
from ..documents.standards import sop_context, template2_csv, template2_xlsx
from ..forms import standards as standard_forms
from .base import CapabilityRequiredMixin
from .base import error_messages as _error_messages


class ProcessListView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/standards/process_list.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["processes"] = selectors.process_list(user=self.request.user)
        context["can_author"] = access.can(self.request.user, AUTHOR_STANDARD, any_department=True)
        return context


class ProcessFormView(CapabilityRequiredMixin, View):
    capability = AUTHOR_STANDARD
    template_name = "processes/standards/process_form.html"

    def get_process(self):
        code = self.kwargs.get("code")
        if code is None:
            return None
        process = selectors.process_get(user=self.request.user, code=code)
        if not access.can(self.request.user, AUTHOR_STANDARD, process.department_id):
            raise PermissionDenied
        return process

    def get(self, request, code=None):
        process = self.get_process()
        form = standard_forms.ProcessForm(instance=process, user=request.user)
        return render(request, self.template_name, {"form": form, "process": process})

    def post(self, request, code=None):
        process = self.get_process()
        form = standard_forms.ProcessForm(request.POST, instance=process, user=request.user)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields if name != "code"}
            try:
                if process is None:
                    process = services.process_create(user=request.user, code=form.cleaned_data["code"], **data)
                    version = services.version_create(process=process, user=request.user)
                    messages.success(request, _("Process created; fill in its first standard version."))
                    return redirect("standards:version-edit", pk=version.pk)
                services.process_update(process=process, user=request.user, **data)
                messages.success(request, _("Process saved."))
                return redirect("standards:process-detail", code=process.code)
            except ValidationError as exc:
                form.add_error(None, exc)
        return render(request, self.template_name, {"form": form, "process": process}, status=400)


class ProcessDetailView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/standards/process_detail.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        process = selectors.process_get(user=self.request.user, code=self.kwargs["code"])
        context["process"] = process
        context["versions"] = process.versions.select_related("author", "approved_by", "published_by")
        context["can_author"] = access.can(self.request.user, AUTHOR_STANDARD, process.department_id)
        context["history"] = selectors.history_for_process(process)
        return context


class VersionMixin(CapabilityRequiredMixin):
    capability = VIEW

    def get_version(self):
        return selectors.version_get(user=self.request.user, pk=self.kwargs["pk"])


class VersionDetailView(VersionMixin, TemplateView):
    template_name = "processes/standards/version_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = self.get_version()
        user = self.request.user
        department_id = version.process.department_id
        can_author = access.can(user, AUTHOR_STANDARD, department_id)
        can_approve = access.can(user, APPROVE_STANDARD, department_id)
        others = version.process.versions.exclude(pk=version.pk).order_by("-number")
        context.update(
            version=version,
            can_edit=can_author and version.is_editable,
            can_submit=can_author and version.status == VersionStatus.DRAFT,
            can_approve=can_approve and version.status == VersionStatus.SUBMITTED and version.author_id != user.pk,
            own_version=version.author_id == user.pk,
            can_reject=can_approve and version.status in ("submitted", "approved"),
            can_publish=can_approve and version.status in ("approved", "piloting"),
            can_new_draft=can_author
            and version.status in ("published", "superseded", "piloting")
            and not version.process.versions.filter(status__in=["draft", "submitted", "approved"]).exists(),
            other_versions=others,
            **sop_context(version),
        )
        return context


class VersionEditView(VersionMixin, View):
    """The template 2 form: the version's fields and its four tables on one page."""

    template_name = "processes/standards/version_form.html"

    def get_version(self):
        version = super().get_version()
        if not access.can(self.request.user, AUTHOR_STANDARD, version.process.department_id):
            raise PermissionDenied
        return version

    def render_form(self, version, form, formsets, status=200, errors=None):
        return render(
            self.request,
            self.template_name,
            {"version": version, "form": form, "formsets": formsets, "service_errors": errors or []},
            status=status,
        )

    def get(self, request, pk):
        version = self.get_version()
        if not version.is_editable:
            messages.warning(request, _("This version is frozen; start a new draft to change it."))
            return redirect("standards:version-detail", pk=version.pk)
        return self.render_form(
            version, standard_forms.VersionForm(instance=version), standard_forms.version_formsets(version)
        )

    def post(self, request, pk):
        version = self.get_version()
        form = standard_forms.VersionForm(request.POST, instance=version)
        formsets = standard_forms.version_formsets(version, data=request.POST)
        if not (form.is_valid() and all(fs.is_valid() for fs in formsets.values())):
            return self.render_form(version, form, formsets, status=400)
        try:
            services.version_save(
                version=version,
                user=request.user,
                fields=form.cleaned_data,
                steps=formsets["steps"].ordered_rows(),
                targets=formsets["targets"].ordered_rows(),
                escalation_levels=formsets["levels"].ordered_rows(),
                exception_plans=formsets["plans"].ordered_rows(),
            )
        except ValidationError as exc:
            version.refresh_from_db()
            return self.render_form(version, form, formsets, status=400, errors=_error_messages(exc))
        messages.success(request, _("Version %(number)s saved.") % {"number": version.number})
        if "submit" in request.POST:
            return VersionActionView.as_view()(request, pk=version.pk, action="submit")
        return redirect("standards:version-detail", pk=version.pk)


class VersionActionView(VersionMixin, View):
    """POST-only lifecycle commands: submit, approve, reject, publish, new-draft."""

    def post(self, request, pk, action):
        version = self.get_version()
        user = request.user
        note = request.POST.get("note", "")
        handlers = {
            "submit": lambda: services.version_submit(version=version, user=user),
            "approve": lambda: services.version_approve(version=version, user=user, note=note),
            "reject": lambda: services.version_reject(version=version, user=user, note=note),
            "publish": lambda: services.version_publish(version=version, user=user),
            "new-draft": lambda: services.version_new_draft(version=version, user=user, change_note=note),
        }
        if action not in handlers:
            raise Http404
        done = {
            "submit": _("Submitted for approval."),
            "approve": _("Approved; it can now be published."),
            "reject": _("Sent back to the author."),
            "publish": _("Published: this is now the current standard."),
            "new-draft": _("New draft created from this version."),
        }
        try:
            with transaction.atomic():
                result = handlers[action]()
        except ValidationError as exc:
            for message in _error_messages(exc):
                messages.error(request, message)
            return redirect("standards:version-detail", pk=version.pk)
        messages.success(request, done[action])
        if action == "new-draft":
            return redirect("standards:version-edit", pk=result.pk)
        return redirect("standards:version-detail", pk=result.pk)


class VersionCompareView(VersionMixin, TemplateView):
    template_name = "processes/standards/version_compare.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        new = self.get_version()
        old = selectors.version_get(user=self.request.user, pk=self.kwargs["other"])
        if old.number > new.number:
            old, new = new, old
        try:
            context["comparison"] = services.version_compare(old=old, new=new)
        except ValidationError:
            raise Http404 from None
        return context


class VersionSOPView(VersionMixin, View):
    """The SOP document: a printable page, or (?download=1) a self-contained HTML file."""

    def get(self, request, pk):
        version = self.get_version()
        context = {"version": version, "standalone": "download" in request.GET, **sop_context(version)}
        if context["standalone"]:
            html = render_to_string("processes/standards/sop_document.html", context, request=request)
            response = HttpResponse(html, content_type="text/html; charset=utf-8")
            filename = f"SOP-{version.process.code}-v{version.number}.html"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return render(request, "processes/standards/sop.html", context)


class VersionExportView(VersionMixin, View):
    def get(self, request, pk, fmt):
        version = self.get_version()
        if fmt == "xlsx":
            return template2_xlsx(version)
        if fmt == "csv":
            return template2_csv(version)
        raise Http404


class VersionHistoryView(VersionMixin, TemplateView):
    template_name = "processes/standards/history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = self.get_version()
        context["version"] = version
        context["history"] = selectors.history_for_version(version)
        return context
