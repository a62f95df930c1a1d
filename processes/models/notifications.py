from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import NotificationDeliveryStatus


class NotificationDelivery(models.Model):
    """One notification sent (or to be sent) through one channel (``processes.channels``): its state,
    attempts and last error. Unique per notification and channel, so each channel delivers it once."""

    notification = models.ForeignKey(
        "processes.Notification", verbose_name=_("notification"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=40)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NotificationDeliveryStatus.choices,
        default=NotificationDeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(
        _("last error"), blank=True, help_text=_("Why the last attempt failed, or why the channel skipped the person.")
    )
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["notification", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="notification_delivery_once_per_channel")
        ]
        indexes = [models.Index(fields=["status", "channel"], name="notif_delivery_state_idx")]

    def __str__(self):
        return f"{self.channel}: {self.get_status_display()}"
