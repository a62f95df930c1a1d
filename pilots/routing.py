"""How pilots route new runs: a run started in a pilot's scope follows its trial version (registered with the
kernel in PilotsConfig.ready)."""

from processes.services.work import RunRoute

from .selectors import pilot as selectors


def run_route(*, process_id: int, department_id: int, business_line: str, at) -> RunRoute | None:
    """A pilot running in this department (and business line) on this day runs its trial version; its
    control scope keeps the current standard. Both are attributed to the pilot."""
    route = selectors.pilot_route(
        process_id=process_id, department_id=department_id, business_line=business_line, at=at
    )
    if route is None:
        return None
    return RunRoute(version=route.version, attach=lambda run: selectors.pilot_attach_run(route=route, run=run))
