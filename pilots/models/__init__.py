from .pilot import (
    CustomerInterview,
    FeedbackItem,
    Pilot,
    PilotRun,
    StandUp,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from .rollout import Attendance, DepartmentSwitch, Milestone, MonitoringReview, RolloutPlan, TrainingSession

__all__ = [
    "Attendance",
    "CustomerInterview",
    "DepartmentSwitch",
    "FeedbackItem",
    "Milestone",
    "MonitoringReview",
    "Pilot",
    "PilotRun",
    "RolloutPlan",
    "StandUp",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
    "TrainingSession",
]
