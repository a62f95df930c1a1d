"""A second notification channel for tests/processes/test_channels.py: records what it delivers and can
be told to fail (``failing``) or to skip everybody (``skipping``)."""

from django.utils.translation import gettext_lazy as _

from processes.channels import Skipped

name = "fake"
label = _("Fake")

delivered: list[int] = []
failing = False
skipping = False


def deliver(notification) -> None:
    if skipping:
        raise Skipped("not on this channel")
    if failing:
        raise ConnectionError("the fake service is away")
    delivered.append(notification.pk)
