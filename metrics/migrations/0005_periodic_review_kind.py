"""The periodic review's work items get their own kind, "periodic_review", instead of the "review" they
shared with pilots' rollout monitoring reviews (issue 22): the items (and their history rows) that a
Review points at."""

from django.db import migrations


def _relabel(apps, old, new):
    item_ids = apps.get_model("metrics", "Review").objects.filter(work_item__isnull=False).values("work_item_id")
    for model in ("WorkItem", "HistoricalWorkItem"):
        apps.get_model("processes", model).objects.filter(kind=old, id__in=item_ids).update(kind=new)


def forwards(apps, schema_editor):
    _relabel(apps, "review", "periodic_review")


def backwards(apps, schema_editor):
    _relabel(apps, "periodic_review", "review")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0004_measurement_external_id_per_process"),
        ("processes", "0021_work_kind_choices_registered"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
