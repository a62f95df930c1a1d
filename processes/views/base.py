from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError

from .. import access


class CapabilityRequiredMixin(LoginRequiredMixin):
    """A page that needs a capability somewhere in the user's scope (see processes.access)."""

    capability: str = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.can(request.user, self.capability, any_department=True):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def error_messages(exc: ValidationError) -> list[str]:
    """The messages of a ValidationError, whether it carries field errors or not."""
    if hasattr(exc, "error_dict"):
        return [message for messages_ in exc.message_dict.values() for message in messages_]
    return list(exc.messages)
