"""Close our records when their work item in the inbox is completed (see processes.signals)."""

from django.dispatch import receiver

from processes.signals import work_item_finished

from .services import pilot, rollout


@receiver(work_item_finished, dispatch_uid="pilots.work_item_finished")
def work_item_finished_handler(sender, item, user, at, note, **kwargs):
    pilot.on_work_finished(item=item, user=user, at=at, note=note)
    rollout.on_work_finished(item=item, user=user, at=at, note=note)
