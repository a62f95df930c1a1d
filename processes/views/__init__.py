from .base import CapabilityRequiredMixin
from .mapping import AnalysisFormView, BottleneckExportView, EventLogView, Template1View
from .org import OrganisationView
from .projects import ProjectActionView, ProjectDetailView, ProjectFormView, ProjectListView
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
from .work import (
    InboxView,
    NotificationListView,
    RunDetailView,
    RunListView,
    RunStartView,
    WorkItemActionView,
    WorkItemView,
)

__all__ = [
    "AnalysisFormView",
    "BottleneckExportView",
    "EventLogView",
    "ProjectActionView",
    "ProjectDetailView",
    "ProjectFormView",
    "ProjectListView",
    "Template1View",
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
