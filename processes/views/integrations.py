"""Integrations pages: one's own API tokens (everyone), integration accounts (managers, admins), webhooks
and their delivery log (IT support)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .. import access
from ..constants import MANAGE_ORG, VIEW
from ..models import ApiToken, Department, WebhookDelivery, WebhookSubscription
from ..models.integrations import DeliveryStatus, WebhookEvent
from ..selectors import integrations as selectors_integrations
from ..services import integration_accounts, tokens, webhooks
from .base import CapabilityRequiredMixin, error_messages

# API tokens
# ------------------------------------------------------------------------------


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. the system that will use it."),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"),
        min_value=1,
        max_value=tokens.MAX_DAYS,
        initial=90,
        help_text=gettext_lazy("The token stops working after this many days; create a new one before then."),
    )


class ApiTokenListView(CapabilityRequiredMixin, View):
    """My API tokens: list, create (the token is shown once, on the answer to the creation), revoke."""

    capability = VIEW
    template_name = "processes/integrations/tokens.html"

    def _render(self, request, form, new_token=None, status=200):
        context = {
            "form": form,
            "tokens": selectors_integrations.api_token_list(user=request.user),
            "new_token": new_token,
            "can_manage_all": access.can(request.user, MANAGE_ORG),
            "can_manage_integration_accounts": access.can_manage_integration_accounts(
                request.user, any_department=True
            ),
        }
        response = render(request, self.template_name, context, status=status)
        add_never_cache_headers(response)
        return response

    def get(self, request):
        return self._render(request, ApiTokenForm())

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = tokens.api_token_create(
                    user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
                )
            except ValidationError as exc:
                for message in error_messages(exc):
                    form.add_error(None, message)
            else:
                return self._render(request, ApiTokenForm(), new_token={"token": token, "secret": secret})
        return self._render(request, form, status=400)


class ApiTokenRevokeView(CapabilityRequiredMixin, View):
    capability = VIEW

    def post(self, request):
        token = get_object_or_404(ApiToken, digest=request.POST.get("digest", ""), user=request.user)
        tokens.api_token_revoke(token=token, user=request.user)
        messages.success(request, _("The token “%(name)s” was revoked: it no longer works.") % {"name": token.name})
        return redirect("integrations:tokens")


# Integration accounts
# ------------------------------------------------------------------------------


class IntegrationAccountForm(forms.Form):
    account = forms.ModelChoiceField(
        label=gettext_lazy("Account"),
        queryset=None,
        to_field_name="username",
        help_text=gettext_lazy("The user account whose API tokens the other system uses."),
    )
    departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Reports for"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "It may name any active person of these departments (and of those below them) as the actor of a "
            "reported step. Choose none to take the right back."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = integration_accounts.integration_account_candidates(user=user)
        self.fields["departments"].queryset = integration_accounts.integration_account_departments(user=user)


class IntegrationAccountListView(LoginRequiredMixin, View):
    """Integration accounts: which accounts may report steps for the people of which departments
    (managers for their scope, administrators for all)."""

    template_name = "processes/integrations/accounts.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.can_manage_integration_accounts(
            request.user, any_department=True
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form, status=200):
        allowed = set(integration_accounts.integration_account_departments(user=request.user))
        accounts = [
            (account, [d for d in account.departments.all() if d in allowed])
            for account in integration_accounts.integration_account_list(user=request.user)
        ]
        return render(request, self.template_name, {"form": form, "accounts": accounts}, status=status)

    def get(self, request):
        initial = {}
        if request.GET.get("account"):
            account = integration_accounts.integration_account_list(user=request.user).filter(
                user__username=request.GET["account"]
            )
            found = account.first()
            if found is not None:
                initial = {"account": found.user, "departments": list(found.departments.all())}
        return self._render(request, IntegrationAccountForm(user=request.user, initial=initial))

    def post(self, request):
        form = IntegrationAccountForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                account = integration_accounts.integration_account_save(
                    user=request.user,
                    account_user=form.cleaned_data["account"],
                    departments=form.cleaned_data["departments"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                name = form.cleaned_data["account"].username
                if account is None:
                    messages.success(request, _("“%(name)s” reports only its own steps now.") % {"name": name})
                else:
                    messages.success(request, _("“%(name)s” is an integration account.") % {"name": name})
                return redirect("integrations:accounts")
        return self._render(request, form, status=400)


# Webhooks
# ------------------------------------------------------------------------------


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("OpsFlow posts each event here as JSON."),
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://", "autocomplete": "url"}),
    )
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_types", "department", "secret", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.order_by("code")
        self.fields["department"].empty_label = _("All departments")
        if self.instance.pk:
            # the secret is shown once, after creation or replacement: never in the edit form
            del self.fields["secret"]
        else:
            self.fields["secret"].required = False
            self.fields["secret"].widget = forms.PasswordInput(attrs={"autocomplete": "off"})
            self.fields["secret"].help_text = _(
                "Signs every delivery (HMAC-SHA256); give it to the receiver. Leave empty for a random one."
            )


def _render_secret(request, subscription, secret, *, created: bool):
    """The one page that shows a webhook's secret, right after it was set; never cached."""
    context = {"subscription": subscription, "secret": secret, "created": created}
    response = render(request, "processes/integrations/webhook_secret.html", context)
    add_never_cache_headers(response)
    return response


class WebhookListView(CapabilityRequiredMixin, View):
    capability = MANAGE_ORG

    def get(self, request):
        context = {
            "subscriptions": selectors_integrations.webhook_subscription_list(),
            "events": dict(WebhookEvent.choices),
        }
        return render(request, "processes/integrations/webhook_list.html", context)


class WebhookFormView(CapabilityRequiredMixin, View):
    capability = MANAGE_ORG
    template_name = "processes/integrations/webhook_form.html"

    def get(self, request, pk=None):
        subscription = get_object_or_404(WebhookSubscription, pk=pk) if pk else None
        form = WebhookSubscriptionForm(instance=subscription)
        return render(request, self.template_name, {"form": form, "subscription": subscription})

    def post(self, request, pk=None):
        subscription = get_object_or_404(WebhookSubscription, pk=pk) if pk else None
        form = WebhookSubscriptionForm(request.POST, instance=subscription)
        if form.is_valid():
            data = {field: form.cleaned_data[field] for field in webhooks.SUBSCRIPTION_FIELDS if field in form.fields}
            try:
                subscription = webhooks.webhook_subscription_save(
                    user=request.user, subscription=WebhookSubscription.objects.filter(pk=pk).first(), **data
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if pk is None:
                    return _render_secret(request, subscription, subscription.secret, created=True)
                messages.success(request, _("The webhook “%(name)s” was saved.") % {"name": subscription.name})
                return redirect("integrations:webhooks")
        return render(request, self.template_name, {"form": form, "subscription": subscription}, status=400)


class WebhookActionView(CapabilityRequiredMixin, View):
    """Activate or deactivate a subscription (deactivated ones receive nothing and are not retried),
    or replace its secret (the new one is shown once)."""

    capability = MANAGE_ORG

    def post(self, request, pk, action):
        subscription = get_object_or_404(WebhookSubscription, pk=pk)
        if action == "replace-secret":
            secret = webhooks.webhook_subscription_secret_replace(subscription=subscription, user=request.user)
            return _render_secret(request, subscription, secret, created=False)
        if action not in ("activate", "deactivate"):
            raise PermissionDenied
        webhooks.webhook_subscription_set_active(
            subscription=subscription, user=request.user, active=action == "activate"
        )
        if subscription.active:
            messages.success(request, _("The webhook “%(name)s” is active.") % {"name": subscription.name})
        else:
            messages.success(request, _("The webhook “%(name)s” is inactive.") % {"name": subscription.name})
        return redirect("integrations:webhooks")


class DeliveryFilterForm(forms.Form):
    subscription = forms.ModelChoiceField(
        label=gettext_lazy("Webhook"), queryset=WebhookSubscription.objects.order_by("name"), required=False
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=[("", "—"), *DeliveryStatus.choices], required=False
    )
    event_type = forms.ChoiceField(
        label=gettext_lazy("Event"), choices=[("", "—"), *WebhookEvent.choices], required=False
    )


class DeliveryListView(CapabilityRequiredMixin, View):
    """The delivery log: newest first, 200 at a time, with the answer of each one's last attempt."""

    capability = MANAGE_ORG

    def get(self, request):
        form = DeliveryFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        deliveries = selectors_integrations.webhook_delivery_list(
            subscription=filters.get("subscription"),
            status=filters.get("status") or "",
            event_type=filters.get("event_type") or "",
        )[:200]
        context = {"form": form, "deliveries": deliveries, "max_attempts": webhooks.MAX_ATTEMPTS}
        return render(request, "processes/integrations/delivery_list.html", context)


class DeliveryRedeliverView(CapabilityRequiredMixin, View):
    capability = MANAGE_ORG

    def post(self, request, pk):
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        try:
            webhooks.webhook_delivery_redeliver(delivery=delivery, user=request.user)
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("The delivery is queued again."))
        url = request.POST.get("next", "")
        if url.startswith("/") and not url.startswith("//"):
            return redirect(url)
        return redirect("integrations:deliveries")
