"""Notification channels: the ways a notification reaches its person besides the notification centre.

The notification centre is the ``Notification`` row itself; every channel listed in the setting
``OPSFLOW_NOTIFICATION_CHANNELS`` (dotted module paths, in order) gets one ``NotificationDelivery`` row
per notification, written in the same transaction, so it delivers each notification exactly once
(``processes.services.work.notifications`` claims the row before it calls the channel). A channel is a
module with:

- ``name``: a short stable identifier stored in the delivery rows (``"email"``); never rename it;
- ``label``: what people read in the admin (``gettext_lazy``);
- ``deliver(notification) -> None``: send it now. Raise ``Skipped(reason)`` when the channel cannot reach
  this person (the delivery is ``skipped``, not retried); any other exception is a failure, retried with
  backoff and finally recorded as ``failed`` with its message.

and optionally:

- ``skip(user) -> str``: a cheap check without I/O, made when the notification is created: the reason the
  channel cannot reach this person, or ``""``. A person it cannot reach gets a ``skipped`` row and no task;
- ``batch()``: a context manager around the deliveries of one task (e-mail: one mail connection);
- ``notification_field``: a date-time field of ``Notification`` stamped when the channel takes a
  notification to deliver and cleared when that attempt fails (e-mail: ``emailed_at``).

A new channel is one module plus one line in the setting; ``processes/channels/email.py`` is the example.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = ["Channel", "Skipped", "configured", "get"]

SETTING = "OPSFLOW_NOTIFICATION_CHANNELS"
DEFAULT = ["processes.channels.email"]


class Skipped(Exception):  # noqa: N818 (it is an outcome, not an error)
    """Raised by ``deliver`` when the channel cannot reach this person; the message is the reason."""


@dataclass(frozen=True)
class Channel:
    """A loaded channel module (see the module docstring)."""

    name: str
    label: Any
    deliver: Callable[[Any], None]
    skip: Callable[[Any], str]
    batch: Callable[[], contextlib.AbstractContextManager]
    notification_field: str | None
    module: str


def _never(user) -> str:
    return ""


def _load(path: str) -> Channel:
    try:
        module = importlib.import_module(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{SETTING}: cannot import the channel {path!r}: {exc}") from exc
    missing = [attr for attr in ("name", "label", "deliver") if not hasattr(module, attr)]
    if missing:
        raise ImproperlyConfigured(f"{SETTING}: the channel {path!r} has no {', '.join(missing)}")
    name = module.name
    if not isinstance(name, str) or not name or len(name) > 40:
        raise ImproperlyConfigured(f"{SETTING}: the channel {path!r} needs a name of 1 to 40 characters")
    return Channel(
        name=name,
        label=module.label,
        deliver=module.deliver,
        skip=getattr(module, "skip", _never),
        batch=getattr(module, "batch", contextlib.nullcontext),
        notification_field=getattr(module, "notification_field", None),
        module=path,
    )


@cache
def _registry() -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    for path in getattr(settings, SETTING, DEFAULT):
        channel = _load(path)
        if channel.name in channels:
            raise ImproperlyConfigured(
                f"{SETTING}: {path!r} and {channels[channel.name].module!r} both call themselves {channel.name!r}"
            )
        channels[channel.name] = channel
    return channels


def configured() -> list[Channel]:
    """The channels of the setting, in its order (loaded once)."""
    return list(_registry().values())


def get(name: str) -> Channel | None:
    """The configured channel called ``name``; None when the setting no longer lists it."""
    return _registry().get(name)


@receiver(setting_changed)
def _reload(*, setting, **kwargs):
    if setting == SETTING:
        _registry.cache_clear()
