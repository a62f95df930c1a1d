"""What pilots plug into the processes app (see processes.signals and the work kernel's run routers)."""

from django.dispatch import receiver

from processes.services.work import RunRoute
from processes.signals import work_item_finished

from . import selectors
from .services import pilot, rollout


@receiver(work_item_finished, dispatch_uid="pilots.work_item_finished")
def work_item_finished_handler(sender, item, user, at, note, **kwargs):
    pilot.on_work_finished(item=item, user=user, at=at, note=note)
    rollout.on_work_finished(item=item, user=user, at=at, note=note)


def run_route(*, process_id: int, department_id: int, business_line: str, at) -> RunRoute | None:
    """A pilot running in this department (and business line) on this day runs its trial version; its
    control scope keeps the current standard. Both are attributed to the pilot."""
    route = selectors.pilot_route(
        process_id=process_id, department_id=department_id, business_line=business_line, at=at
    )
    if route is None:
        return None
    return RunRoute(version=route.version, attach=lambda run: selectors.pilot_attach_run(route=route, run=run))
