from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import TemplateView

from . import access, selectors
from .choices import Role


class CapabilityRequiredMixin(LoginRequiredMixin):
    """A page that needs a capability somewhere in the user's scope (see processes.access)."""

    capability: str = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.can(request.user, self.capability, any_department=True):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class OrganisationView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/org.html"
    capability = "view_org"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["departments"] = selectors.department_list(user=self.request.user)
        context["role_labels"] = dict(Role.choices)
        return context
