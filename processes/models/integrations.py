"""Integrations: personal API tokens and webhooks (issue 8, REST API).

API tokens are django-rest-knox tokens (``KNOX_TOKEN_MODEL``): only a SHA-512 digest of each token is
stored, a person may hold many, each with a name and an expiry; revoking one deletes it. Webhooks
post signed JSON to other systems when something happens here; every delivery is a row, unique per
subscription and event, so a retried task or a second emit never sends an event twice.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from .base import TimeStampedModel


class ApiToken(AbstractAuthToken):
    """A person's named API token for one integration; the token itself is shown once, at creation."""

    # knox's fields, with names people can read (and translate)
    token_key = models.CharField(
        _("prefix"), max_length=CONSTANTS.MAXIMUM_TOKEN_PREFIX_LENGTH + CONSTANTS.TOKEN_KEY_LENGTH, db_index=True
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expiry = models.DateTimeField(_("expires"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        # no default ordering: every API request reads its token, and knox's query would compile and
        # run an ORDER BY each time (docs/benchmarks.md, "2026-12-01 02:00-02:45 UTC"); lists order by
        # creation themselves

    def __str__(self):
        return f"{self.name} ({self.token_key}…)"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()


class IntegrationAccount(TimeStampedModel):
    """A user account another system uses to report events (``POST /api/v1/work/events/``) for the people
    of some departments and those below them: it may name any active person of them as a step's actor.
    Set up by a manager (for the departments of their scope) or an administrator; any other caller
    reports only their own steps."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="integration_account",
    )
    departments = models.ManyToManyField(
        "processes.Department",
        verbose_name=_("reports for"),
        related_name="+",
        help_text=_("It may report steps of the people of these departments and of those below them."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set up by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("integration account")
        verbose_name_plural = _("integration accounts")
        ordering = ["user__username"]

    def __str__(self):
        return self.user.username


class WebhookEvent(models.TextChoices):
    RUN_STARTED = "run.started", _("Run started")
    RUN_COMPLETED = "run.completed", _("Run completed")
    STEP_OVERDUE = "step.overdue", _("Step overdue")
    STEP_ESCALATED = "step.escalated", _("Step escalated")
    STANDARD_PUBLISHED = "standard.published", _("Standard published")
    FEEDBACK_DUE = "feedback.due", _("Feedback item due")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookSubscription(TimeStampedModel):
    """Another system that wants to hear about some events (of one department, or of all), at a URL."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500, help_text=_("OpsFlow posts each event here as JSON."))
    secret = models.CharField(
        _("secret"), max_length=200, help_text=_("Signs every delivery (HMAC-SHA256); give it to the receiver.")
    )
    event_types = models.JSONField(_("events"), default=list)
    department = models.ForeignKey(
        "processes.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only events of this department and the departments below it; empty for all."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        events = self.event_types
        if not isinstance(events, list) or not events:
            raise ValidationError({"event_types": _("Choose at least one event.")})
        unknown = sorted(set(events) - set(WebhookEvent.values))
        if unknown:
            raise ValidationError({"event_types": _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}})
        if not self.url.lower().startswith(("http://", "https://")):
            raise ValidationError({"url": _("Only http and https addresses can receive webhooks.")})


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription: its payload, attempts and last answer."""

    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    event_key = models.CharField(
        _("event key"), max_length=200, help_text=_("Identifies the event: each is delivered once per subscription.")
    )
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_key"], name="webhook_delivery_once_per_event")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self):
        return f"{self.event_type} → {self.subscription_id} ({self.status})"
