from .base import CapabilityRequiredMixin
from .execution import (
    InboxView,
    NotificationListView,
    RunDetailView,
    RunListView,
    RunStartView,
    WorkItemActionView,
    WorkItemView,
)
from .org import OrganisationView
from .standards import (
    ProcessDetailView,
    ProcessFormView,
    ProcessListView,
    VersionActionView,
    VersionCompareView,
    VersionDetailView,
    VersionEditView,
    VersionExportView,
    VersionHistoryView,
    VersionSOPView,
)

__all__ = [
    "InboxView",
    "NotificationListView",
    "RunDetailView",
    "RunListView",
    "RunStartView",
    "WorkItemActionView",
    "WorkItemView",
    "CapabilityRequiredMixin",
    "OrganisationView",
    "ProcessDetailView",
    "ProcessFormView",
    "ProcessListView",
    "VersionActionView",
    "VersionCompareView",
    "VersionDetailView",
    "VersionEditView",
    "VersionExportView",
    "VersionHistoryView",
    "VersionSOPView",
]
