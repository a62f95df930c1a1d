from django.views.generic import TemplateView

from .. import selectors
from ..choices import Role
from .base import CapabilityRequiredMixin


class OrganisationView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/org.html"
    capability = "view_org"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["departments"] = selectors.department_list(user=self.request.user)
        context["role_labels"] = dict(Role.choices)
        return context
