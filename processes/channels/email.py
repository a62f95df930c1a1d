"""The e-mail channel: the notification's subject and a link to its work item, in the person's language.

Messages of one task share one mail connection (``batch``). A person without an e-mail address is
skipped. ``Notification.emailed_at`` is stamped when the e-mail is taken for sending.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import Skipped

name = "email"
label = gettext_lazy("E-mail")
notification_field = "emailed_at"

_connection: ContextVar = ContextVar("opsflow_mail_connection", default=None)


def skip(user) -> str:
    return "" if user.email else str(gettext_lazy("No e-mail address"))


@contextlib.contextmanager
def batch():
    """One mail connection for the messages of a batch."""
    connection = get_connection()
    # open it before the first claim, so a worker dying while it connects holds no claimed e-mail; a
    # server that is away fails on the first send instead, where the attempt is recorded and retried
    with contextlib.suppress(Exception):
        connection.open()
    token = _connection.set(connection)
    try:
        yield
    finally:
        _connection.reset(token)
        connection.close()


def message(notification) -> EmailMessage:
    user = notification.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = notification.subject
        link = reverse("work:item-detail", args=[notification.work_item_id]) if notification.work_item_id else ""
        body = _("%(subject)s\n\nOpen it in OpsFlow: %(link)s") % {"subject": subject, "link": link}
    return EmailMessage(subject, body, None, [user.email])


def deliver(notification) -> None:
    if not notification.user.email:
        raise Skipped(skip(notification.user))
    connection = _connection.get()
    if connection is None:
        with get_connection() as connection:
            sent = connection.send_messages([message(notification)])
    else:
        sent = connection.send_messages([message(notification)])
    if not sent:
        raise OSError("the mail server accepted no message")
