"""Inbox indexes: the unclaimed queue of a role in a department by due time, and open work by id (the
REST list's cursor pages), both partial on open work so they stay a few thousand rows deep."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("processes", "0012_workitem_process"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("assignee__isnull", True), ("automatic", False), ("status", "open")),
                fields=["department", "role", "due_at"],
                name="work_inbox_queue_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "claimed"])),
                fields=["id"],
                name="work_inbox_open_id_idx",
            ),
        ),
    ]
