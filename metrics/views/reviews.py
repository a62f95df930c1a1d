"""Periodic review pages (phase 6): the list, and one review with its figures, conclusions and actions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from processes.constants import VIEW
from processes.services.work import Conflict
from processes.views.base import CapabilityRequiredMixin, error_messages

from ..forms.reviews import ActionForm, ConclusionsForm
from ..selectors import reviews as review_selectors
from ..services import reviews


def review_get(user, pk):
    return get_object_or_404(review_selectors.review_list(user=user), pk=pk)


class ReviewListView(CapabilityRequiredMixin, TemplateView):
    template_name = "reviews/list.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reviews"] = review_selectors.review_list(user=self.request.user)[:200]
        context["now"] = timezone.now()
        return context


class ReviewDetailView(CapabilityRequiredMixin, View):
    capability = VIEW
    template_name = "reviews/detail.html"

    def context(self, request, review, **bound):
        can_manage = reviews.can_manage(request.user, review)
        return {
            "review": review,
            "can_manage": can_manage and review.closed_at is None,
            "figures": review_selectors.goal_figures(review),
            "actions": review.actions.select_related("process", "draft_version", "responsible_department", "work_item"),
            "conclusions_form": bound.get("conclusions")
            or ConclusionsForm(initial={"conclusions": review.conclusions}),
            "action_form": bound.get("action") or ActionForm(review=review),
            "open_form": next(iter(bound), ""),
            "case_url": reverse("cases:create")
            + f"?source=review&project={review.project_id}&department={review.project.department_id}"
            + f"&url={reverse('reviews:detail', args=[review.pk])}",
            "now": timezone.now(),
        }

    def get(self, request, pk):
        review = review_get(request.user, pk)
        return render(request, self.template_name, self.context(request, review))

    def post(self, request, pk, action):
        review = review_get(request.user, pk)
        form = None
        try:
            if action in ("save", "close"):
                form = ConclusionsForm(request.POST)
                if form.is_valid():
                    text = form.cleaned_data["conclusions"]
                    if action == "save":
                        reviews.review_save(review=review, user=request.user, conclusions=text)
                        messages.success(request, _("Saved."))
                    else:
                        reviews.review_close(review=review, user=request.user, conclusions=text)
                        messages.success(request, _("The review is closed."))
                    return redirect("reviews:detail", pk=review.pk)
                bound = {"conclusions": form}
            elif action == "action":
                form = ActionForm(request.POST, review=review)
                if form.is_valid():
                    made = reviews.action_add(review=review, user=request.user, **form.cleaned_data)
                    if made.draft_version_id:
                        messages.success(
                            request,
                            _("Recorded. The change is in draft version %(number)s of the standard.")
                            % {"number": made.draft_version.number},
                        )
                    else:
                        messages.success(request, _("Recorded. It is in the responsible department's inbox."))
                    return redirect(reverse("reviews:detail", args=[review.pk]) + "#actions")
                bound = {"action": form}
            else:
                return redirect("reviews:detail", pk=review.pk)
        except ValidationError as exc:
            if form is not None and hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                bound = {"action" if action == "action" else "conclusions": form}
            else:
                for message in error_messages(exc):
                    messages.error(request, message)
                return redirect("reviews:detail", pk=review.pk)
        except (PermissionDenied, Conflict) as exc:
            messages.error(request, str(exc) or _("Your role or department does not allow this."))
            return redirect("reviews:detail", pk=review.pk)
        return render(request, self.template_name, self.context(request, review, **bound), status=400)
