"""Signals other apps listen to, so that processes never imports their tables.

``work_item_finished`` is sent inside the transaction that completes a work item that is not a run
step (pilot feedback actions, rollout milestones, reviews): the app that created the item closes
its own record with the completion note. Arguments: ``item``, ``user``, ``at``, ``note``.
"""

from django.dispatch import Signal

work_item_finished = Signal()
