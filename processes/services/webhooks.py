"""Webhooks: tell other systems what happened, with signed JSON posts delivered by Celery.

``emit()`` is called inside the transaction of the change it reports. It writes one delivery row per
active subscription that wants the event (unique per subscription and event key, so emitting the same
event twice, from a retried task or a second sweep, adds nothing) and queues the delivery once the
transaction commits: a rolled-back change sends nothing.

Each attempt first *claims* the row with a conditional update (pending, due, the attempt count it
read); only the worker whose update matched posts, so a task that runs twice, or a beat re-queue racing
the first task, never posts the same attempt twice. The post happens outside any transaction; the
answer is recorded with another conditional update. A 2xx answer marks the delivery delivered; any
other answer, a time-out or a refused connection schedules the next attempt with exponential backoff
(``next_attempt_at``), which the beat job ``processes.webhook_deliveries_due`` picks up; after
``MAX_ATTEMPTS`` the delivery is failed (an administrator can redeliver it from the delivery log).

Targets inside the network are refused (issue 21): the host is resolved when a subscription is saved
and again before every attempt, and a name that resolves to a loopback, link-local, private, shared,
unspecified, multicast or cloud-metadata address is refused; the attempt then connects to the very
address it checked, so a name re-pointed in between (DNS rebinding) cannot reach inside.
``OPSFLOW_WEBHOOK_ALLOWED_TARGETS`` (hosts and networks) or ``OPSFLOW_WEBHOOK_ALLOW_PRIVATE_TARGETS``
let an operator allow such targets on purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..constants import MANAGE_ORG
from ..models import WebhookDelivery, WebhookSubscription
from ..models.integrations import DeliveryStatus, WebhookEvent
from ..tasks import webhook_deliver as webhook_deliver_task

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
# Attempt n failed: wait BACKOFF_BASE * BACKOFF_FACTOR ** (n - 1) seconds, at most BACKOFF_MAX.
# 30 s, 1.5 min, 4.5 min, 13.5 min, 40 min, 2 h, 6 h: the eighth attempt comes about 9 hours after the first.
BACKOFF_BASE = 30
BACKOFF_FACTOR = 3
BACKOFF_MAX = 6 * 3600
# How long a claimed attempt blocks other workers (well above the time-out); a worker killed
# mid-attempt loses its claim after this and the beat job tries again.
CLAIM_SECONDS = 120
DUE_BATCH = 500
USER_AGENT = "OpsFlow-Webhooks/1.0"


# Cloud metadata services (AWS, GCP, Azure, Alibaba Cloud, Tencent Cloud): refused even inside an
# allowed network, unless OPSFLOW_WEBHOOK_ALLOWED_TARGETS names the host or the single address.
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "metadata.tencentyun.com"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.0.23")
)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE * BACKOFF_FACTOR ** max(attempts - 1, 0), BACKOFF_MAX))


def body_bytes(payload: dict) -> bytes:
    """The exact bytes posted (and signed) for a payload."""
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _enqueue(delivery_id: int) -> None:
    # A broker that is down must not fail the request that made the change: the row is stored and the
    # beat job sends it when it is due.
    try:
        webhook_deliver_task.delay(delivery_id)
    except Exception:
        logger.exception("could not queue webhook delivery %s", delivery_id)


# Emitting
# ------------------------------------------------------------------------------


def active_subscriptions(*event_types: str) -> list[WebhookSubscription]:
    """The active subscriptions that listen to any of ``event_types`` (one query)."""
    wanted = set(event_types)
    return [s for s in WebhookSubscription.objects.filter(active=True) if wanted & set(s.event_types)]


def emit(
    event_type: str,
    payload: dict | Callable[[], dict],
    key: str,
    *,
    department_id: int | None = None,
    at=None,
    subscriptions: list[WebhookSubscription] | None = None,
) -> list[WebhookDelivery]:
    """Record ``event_type`` for every active subscription that wants it (and whose department scope
    holds ``department_id``) and deliver it after the caller's transaction commits. ``at`` is when it
    happened (``occurred_at`` of the payload), by default now.

    ``payload`` may be a callable, built only when some subscription wants the event; ``key`` names
    the event (e.g. ``run.completed:42``) and makes each delivery happen once per subscription.
    ``subscriptions``: ``active_subscriptions`` read once by a caller that emits many events.
    """
    if subscriptions is None:
        subscriptions = active_subscriptions(event_type)
    subscriptions = [s for s in subscriptions if event_type in s.event_types]
    scoped = [s for s in subscriptions if s.department_id is not None]
    if scoped:
        subscriptions = [
            s
            for s in subscriptions
            if s.department_id is None
            or (department_id is not None and department_id in access.departments_under([s.department_id]))
        ]
    if not subscriptions:
        return []
    now = timezone.now()
    data = payload() if callable(payload) else payload
    envelope = {"event": event_type, "key": key, "occurred_at": at or now, "data": data}
    created = []
    for subscription in subscriptions:
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    subscription=subscription,
                    event_type=event_type,
                    event_key=key[:200],
                    payload=envelope,
                    created_at=now,
                    next_attempt_at=now,
                )
        except IntegrityError:
            continue  # this event was recorded for this subscription already
        created.append(delivery)
        transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk))
    return created


def emit_run_started(*, run) -> None:
    emit(
        WebhookEvent.RUN_STARTED,
        lambda: {"run": _run_data(run)},
        f"run.started:{run.pk}",
        department_id=run.department_id,
        at=run.started_at,
    )


def emit_run_completed(*, run) -> None:
    emit(
        WebhookEvent.RUN_COMPLETED,
        lambda: {"run": _run_data(run)},
        f"run.completed:{run.pk}",
        department_id=run.department_id,
        at=run.finished_at,
    )


ESCALATION_EVENTS = (WebhookEvent.STEP_OVERDUE, WebhookEvent.STEP_ESCALATED)


def emit_escalation(*, item, escalation, first: bool, subscriptions=None) -> None:
    """A level of the item's escalation policy fired: ``step.escalated``; the first level to fire for
    the item (``first``) also means the work is overdue: ``step.overdue`` (once per work item)."""
    data = lambda: {"work_item": _work_item_data(item), "escalation": _escalation_data(escalation)}  # noqa: E731
    if subscriptions is None:
        subscriptions = active_subscriptions(*ESCALATION_EVENTS)
    common = {"department_id": item.department_id, "at": escalation.created_at, "subscriptions": subscriptions}
    if first:
        emit(WebhookEvent.STEP_OVERDUE, data, f"step.overdue:{item.pk}", **common)
    emit(WebhookEvent.STEP_ESCALATED, data, f"step.escalated:{item.pk}:{escalation.level}", **common)


def emit_standard_published(*, version) -> None:
    process = version.process
    emit(
        WebhookEvent.STANDARD_PUBLISHED,
        lambda: {
            "version": {
                "id": version.pk,
                "number": version.number,
                "status": version.status,
                "published_at": version.published_at,
                "published_by": getattr(version.published_by, "username", None),
            },
            "process": {
                "id": process.pk,
                "code": process.code,
                "name_en": process.name_en,
                "name_zh": process.name_zh,
                "department": process.department_id,
            },
        },
        f"standard.published:{version.pk}",
        department_id=process.department_id,
        at=version.published_at,
    )


def _run_data(run) -> dict:
    version = run.version
    return {
        "id": run.pk,
        "external_id": run.external_id,
        "title": run.title,
        "status": run.status,
        "department": run.department_id,
        "process": version.process_id,
        "version": version.pk,
        "version_number": version.number,
        "business_line": run.business_line,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "cycle_seconds": run.cycle_seconds,
        "on_time": run.on_time,
    }


def _work_item_data(item) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "title_en": item.title_en,
        "title_zh": item.title_zh,
        "run": item.run_id,
        "step": item.step_id,
        "department": item.department_id,
        "role": item.role,
        "status": item.status,
        "assignee": item.assignee.username if item.assignee_id else None,
        "created_at": item.created_at,
        "due_at": item.due_at,
    }


def _escalation_data(escalation) -> dict:
    return {
        "level": escalation.level,
        "target": escalation.target,
        "created_at": escalation.created_at,
        "deadline_missed": escalation.due_at,
    }


# Delivering
# ------------------------------------------------------------------------------


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take the next attempt of a due delivery, or ``None`` when it is not due, done, or taken."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now, subscription__active=True)
        .first()
    )
    if delivery is None:
        return None
    taken = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=DeliveryStatus.PENDING,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    if taken != 1:
        return None  # another worker claimed this attempt a moment ago
    delivery.attempts += 1
    return delivery


# Target addresses
# ------------------------------------------------------------------------------


def _resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (empty when it does not)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


def _allowed_targets() -> tuple[set[str], list]:
    hosts, networks = set(), []
    for entry in getattr(settings, "OPSFLOW_WEBHOOK_ALLOWED_TARGETS", ()) or ():
        entry = str(entry).strip().lower()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry)
    return hosts, networks


def _address_allowed(address: str, networks) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    listed = [net for net in networks if ip.version == net.version and ip in net]
    if ip in METADATA_ADDRESSES:
        return any(net.num_addresses == 1 for net in listed)  # only when listed by itself
    if listed:
        return True
    # not is_global: loopback, link-local, RFC 1918, fc00::/7, 100.64/10, unspecified, reserved
    return ip.is_global and not ip.is_multicast


def webhook_target_addresses(url: str) -> list[str] | None:
    """The checked addresses to post ``url`` to, or ``None`` when the operator allows every target
    (connect by name). Raises ``ValidationError`` on ``url`` when the host is unknown or any of its
    addresses lies inside the network."""
    if getattr(settings, "OPSFLOW_WEBHOOK_ALLOW_PRIVATE_TARGETS", False):
        return None
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError({"url": _("Enter a valid URL.")}) from None
    allowed_hosts, networks = _allowed_targets()
    if host in allowed_hosts:
        return None
    refused = ValidationError(
        {
            "url": _(
                "Webhooks to %(host)s are not allowed: it is an address inside the network (loopback, "
                "link-local, private or cloud metadata). An operator can allow such targets in the settings."
            )
            % {"host": host}
        }
    )
    if host in METADATA_HOSTS:
        raise refused
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = _resolve(host, port)
    if not addresses:
        raise ValidationError({"url": _("The host %(host)s could not be found (DNS).") % {"host": host}})
    if not all(_address_allowed(address, networks) for address in addresses):
        raise refused
    return addresses


def _pinned(connection_class, address: str):
    """A connection class that connects to ``address`` while speaking to (and, for https, checking
    the certificate of) the URL's host name."""

    class Pinned(connection_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            create = self._create_connection
            self._create_connection = lambda target, *rest: create((address, target[1]), *rest)

    return Pinned


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """Post the payload; returns (HTTP status or None, error text). Redirects are not followed: the
    receiver's address must be right."""
    try:
        addresses = webhook_target_addresses(delivery.subscription.url)
    except ValidationError as exc:
        return None, " ".join(exc.messages)
    body = body_bytes(delivery.payload)
    url = urlsplit(delivery.subscription.url)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-OpsFlow-Event": delivery.event_type,
        "X-OpsFlow-Delivery": str(delivery.uuid),
        "X-OpsFlow-Signature": signature(delivery.subscription.secret, body),
    }
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    if addresses:
        connection_class = _pinned(connection_class, addresses[0])
    connection = connection_class(url.hostname or "", url.port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", (url.path or "/") + (f"?{url.query}" if url.query else ""), body, headers)
        response = connection.getresponse()
        text = "" if 200 <= response.status < 300 else response.read(500).decode("utf-8", "replace")
        return response.status, text
    except (OSError, http.client.HTTPException, ValueError) as exc:  # refused, time-out, TLS, bad answer
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> bool | None:
    """One attempt at a delivery. Returns True when delivered now, False when the attempt failed, and
    None when there was nothing to do (not due, delivered already, or another worker has it)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    code, error = _post(delivery)
    finished = timezone.now()
    fields = {"response_code": code, "last_error": error[:1000]}
    if code is not None and 200 <= code < 300:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=finished, next_attempt_at=None, last_error="")
    elif delivery.attempts >= MAX_ATTEMPTS:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        fields.update(next_attempt_at=finished + backoff(delivery.attempts))
    # only the attempt we claimed records its answer
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts).update(
        **fields
    )
    delivered = fields.get("status") == DeliveryStatus.DELIVERED
    log = logger.info if delivered else logger.warning
    log(
        "webhook %s %s to %s: attempt %s, %s",
        delivery.event_type,
        delivery.uuid,
        delivery.subscription.url,
        delivery.attempts,
        code or error,
    )
    return delivered


def webhook_deliveries_due(*, now: datetime | None = None, inline: bool = False) -> int:
    """Queue every pending delivery whose attempt is due (retries, and first attempts whose message
    was lost); the claim makes a delivery queued twice harmless. ``inline`` sends them here instead
    (``manage.py sweep``, for installs without a Celery worker)."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, subscription__active=True
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    for pk in ids:
        if inline:
            webhook_deliver(delivery_id=pk, now=now)
        else:
            _enqueue(pk)
    return len(ids)


# Managing subscriptions
# ------------------------------------------------------------------------------


def _require_manage(user) -> None:
    if not access.can(user, MANAGE_ORG):
        raise PermissionDenied(_("Only IT support and administrators manage webhooks."))


SUBSCRIPTION_FIELDS = ("name", "url", "secret", "event_types", "department", "active")


@transaction.atomic
def webhook_subscription_save(*, user, subscription: WebhookSubscription | None = None, **data) -> WebhookSubscription:
    """Create or change a subscription. A new one without a secret gets a random one; a change
    without a secret keeps the old one (it is shown once: ``webhook_subscription_secret_replace``).
    The URL's host must not lie inside the network (``webhook_target_addresses``)."""
    _require_manage(user)
    unknown = set(data) - set(SUBSCRIPTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    if not data.get("secret"):
        data.pop("secret", None)
    subscription = subscription or WebhookSubscription(created_by=user)
    url_changed = subscription.pk is None or ("url" in data and data["url"] != subscription.url)
    for field, value in data.items():
        setattr(subscription, field, value)
    if not subscription.secret:
        subscription.secret = secrets.token_urlsafe(32)
    subscription.event_types = sorted(set(subscription.event_types or []))
    subscription.full_clean()
    if url_changed:
        webhook_target_addresses(subscription.url)
    subscription.save()
    logger.info("webhook subscription %s (%s) saved by %s", subscription.pk, subscription.url, user)
    return subscription


@transaction.atomic
def webhook_subscription_secret_replace(*, subscription: WebhookSubscription, user, secret: str = "") -> str:
    """Give the subscription a new secret (``secret``, or a random one) and return it: the caller
    shows it once, to be given to the receiver; deliveries from now on are signed with it."""
    _require_manage(user)
    subscription.secret = secret or secrets.token_urlsafe(32)
    subscription.full_clean()
    subscription.save(update_fields=["secret", "updated_at"])
    logger.info("webhook subscription %s: secret replaced by %s", subscription.pk, user)
    return subscription.secret


@transaction.atomic
def webhook_subscription_set_active(*, subscription: WebhookSubscription, user, active: bool) -> WebhookSubscription:
    _require_manage(user)
    subscription.active = active
    subscription.save(update_fields=["active", "updated_at"])
    return subscription


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery, user) -> WebhookDelivery:
    """Send a delivered or failed delivery again, with a fresh round of attempts (same payload and
    delivery id, so a receiver that keeps ids can tell it is a repeat). Pending ones are retried anyway."""
    _require_manage(user)
    delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.PENDING:
        raise ValidationError(_("This delivery is still being tried."))
    if not delivery.subscription.active:
        raise ValidationError(_("The subscription is inactive: activate it first."))
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.delivered_at = None
    delivery.last_error = ""
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "delivered_at", "last_error"])
    logger.info("webhook delivery %s queued again by %s", delivery.uuid, user)
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery
