"""The rollout monitoring review's work items get their own kind, "monitoring_review", instead of the
"review" they shared with metrics' periodic reviews (issue 22): the items (and their history rows) that a
MonitoringReview points at."""

from django.db import migrations


def _relabel(apps, old, new):
    item_ids = apps.get_model("pilots", "MonitoringReview").objects.filter(work_item__isnull=False)
    item_ids = item_ids.values("work_item_id")
    for model in ("WorkItem", "HistoricalWorkItem"):
        apps.get_model("processes", model).objects.filter(kind=old, id__in=item_ids).update(kind=new)


def forwards(apps, schema_editor):
    _relabel(apps, "review", "monitoring_review")


def backwards(apps, schema_editor):
    _relabel(apps, "monitoring_review", "review")


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0002_sync"),
        ("processes", "0021_work_kind_choices_registered"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
