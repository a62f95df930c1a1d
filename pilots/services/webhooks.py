"""What pilots tell other systems through webhooks (the webhooks themselves live in processes)."""

from processes.models.integrations import WebhookEvent
from processes.services import webhooks


def feedback_due_emit(*, item) -> None:
    """An accepted feedback item is work of the responsible department, due at a date: ``feedback.due``
    is sent once per item, when it is accepted (its lateness then shows as ``step.overdue``)."""
    work = item.work_item
    webhooks.emit(
        WebhookEvent.FEEDBACK_DUE,
        lambda: {
            "feedback": {
                "id": item.pk,
                "number": item.number,
                "pilot": item.pilot_id,
                "pilot_name_en": item.pilot.name_en,
                "pilot_name_zh": item.pilot.name_zh,
                "problem": item.problem,
                "suggestion": item.suggestion,
                "department": item.department_id,
                "responsible_department": item.responsible_department_id,
                "status": item.status,
                "accepted_at": item.decided_at,
                "due_at": work.due_at if work else None,
                "work_item": work.pk if work else None,
            }
        },
        f"feedback.due:{item.pk}",
        department_id=item.responsible_department_id,
        at=item.decided_at,
    )
