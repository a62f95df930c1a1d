"""REST API of the rollout: plans, milestones, department switch-overs, training sessions, attendance
and monitoring reviews. Same permissions as the pages: reading needs the plan to be visible to the
user (its process in their department scope, or they take part in it); changes need ``manage_project``
on the process's department. Every write goes through ``pilots.services.rollout``."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response

from opsflow.api.exceptions import Conflict as ConflictError
from opsflow.api.sync import ETagMixin, plausible_moment
from processes.api.permissions import RolePermission
from processes.api.references import ScopedReferences
from processes.constants import MANAGE_PROJECT, VIEW
from processes.models import Department, User
from processes.services import work

from ..choices import Cadence, Tier
from ..models import Attendance, DepartmentSwitch, Milestone, MonitoringReview, RolloutPlan, TrainingSession
from ..selectors import rollout as selectors
from ..services import rollout as services


class PlanScopedPermission(RolePermission):
    """Reading an object, and the commands open to everyone who sees it (the owner completes a
    milestone, closes a review), need only that it is in the queryset: the plans the user may see; the
    services check the rest. Changes are checked against the plan's process department."""

    def has_object_permission(self, request, view, obj):
        if self._capability(request, view) == VIEW:
            return True
        return super().has_object_permission(request, view, obj)


class PlanChildViewSet(ETagMixin, viewsets.GenericViewSet):
    permission_classes = [PlanScopedPermission]
    write_capability = MANAGE_PROJECT
    plan_path = "plan"

    def visible_plans(self):
        return selectors.plan_list(user=self.request.user)

    def object_department_id(self, obj):
        plan = obj
        for name in self.plan_path.split("__"):
            plan = getattr(plan, name)
        return selectors.plan_department_id(plan)

    def _plan(self, plan):
        """A plan given in a request body must be one the user can see (else: does not exist)."""
        if not self.visible_plans().filter(pk=plan.pk).exists():
            raise APIValidationError({"plan": ["Invalid pk - object does not exist."]})
        return plan


# Plans
# ------------------------------------------------------------------------------


class RolloutPlanSerializer(ScopedReferences, serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = RolloutPlan
        fields = [
            "id",
            "name",
            "name_en",
            "name_zh",
            "project",
            "version",
            "owner",
            "starts_on",
            "daily_until",
            "ends_on",
            "status",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]
        extra_kwargs = {name: {"validators": [plausible_moment]} for name in ("starts_on", "daily_until", "ends_on")}


class DepartmentCoverageSerializer(serializers.Serializer):
    department = serializers.IntegerField(source="department.pk")
    department_name = serializers.CharField(source="department.name")
    switched_on = serializers.DateField(source="switch.switched_on", allow_null=True, default=None)
    milestone = serializers.IntegerField(
        source="milestone.pk", allow_null=True, default=None, help_text="The open milestone that will switch it over."
    )


class TierCoverageSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    people = serializers.IntegerField()
    completed = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True, help_text="Completed / people, %.")


class TrainingCoverageSerializer(serializers.Serializer):
    department = serializers.IntegerField(
        source="department.pk", allow_null=True, default=None, help_text="null: the totals row"
    )
    tiers = TierCoverageSerializer(many=True)


class CoverageSerializer(serializers.Serializer):
    departments = DepartmentCoverageSerializer(many=True)
    training = TrainingCoverageSerializer(many=True)


class PeriodFiguresSerializer(serializers.Serializer):
    cadence = serializers.ChoiceField(source="period.cadence", choices=Cadence.choices)
    period_start = serializers.DateField(source="period.start")
    period_end = serializers.DateField(source="period.end")
    current = serializers.BooleanField(help_text="The period is still running.")
    runs = serializers.IntegerField(source="figures.runs")
    processing_hours = serializers.DecimalField(
        source="figures.processing_hours", max_digits=12, decimal_places=2, allow_null=True
    )
    error_rate = serializers.DecimalField(source="figures.error_rate", max_digits=6, decimal_places=2, allow_null=True)
    on_time_rate = serializers.DecimalField(
        source="figures.on_time_rate", max_digits=6, decimal_places=2, allow_null=True
    )
    review = serializers.IntegerField(source="review.pk", allow_null=True, default=None)
    review_state = serializers.ChoiceField(
        choices=[(s, s) for s in ("none", "running", "open", "overdue", "closed", "cancelled")],
        help_text="none: no review for this period; running: the period is not over yet.",
    )
    conclusions = serializers.CharField(source="review.conclusions", allow_null=True, default=None)


class RolloutPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PlanChildViewSet,
):
    """Rollout plans. ``coverage``: departments switched over and training per department and tier;
    ``monitoring``: the figures of every review period, newest first."""

    queryset = RolloutPlan.objects.none()
    serializer_class = RolloutPlanSerializer
    action_capabilities = {"coverage": VIEW, "monitoring": VIEW}
    filterset_fields = ["version", "status", "owner", "project"]

    def get_queryset(self):
        return self.visible_plans().order_by("id")

    def object_department_id(self, obj):
        return selectors.plan_department_id(obj)

    def perform_create(self, serializer):
        serializer.instance = services.plan_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.plan_update(
            plan=serializer.instance, user=self.request.user, **serializer.validated_data
        )

    @extend_schema(responses=CoverageSerializer)
    @action(detail=True, methods=["get"])
    def coverage(self, request, pk=None):
        plan = self.get_object()
        data = {"departments": selectors.department_coverage(plan), "training": selectors.training_coverage(plan)}
        return Response(CoverageSerializer(data).data)

    @extend_schema(responses=PeriodFiguresSerializer(many=True))
    @action(detail=True, methods=["get"])
    def monitoring(self, request, pk=None):
        plan = self.get_object()
        return Response(PeriodFiguresSerializer(selectors.monitoring_rows(plan), many=True).data)


# Milestones
# ------------------------------------------------------------------------------


class MilestoneSerializer(ScopedReferences, serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    late = serializers.SerializerMethodField(help_text="Done after its due date, or open past it.")

    class Meta:
        model = Milestone
        fields = [
            "id",
            "plan",
            "position",
            "title",
            "title_en",
            "title_zh",
            "owner",
            "due_on",
            "status",
            "late",
            "switches_department",
            "done_at",
            "note",
            "work_item",
        ]
        read_only_fields = ["position", "status", "done_at", "work_item"]
        # its work item is due that day: a moment an ISO 8601 client must read back
        extra_kwargs = {"due_on": {"validators": [plausible_moment]}}

    def get_late(self, obj) -> bool:
        from django.utils import timezone

        return selectors.milestone_is_late(obj, timezone.localdate())


class MilestoneMoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=[("up", "up"), ("down", "down")])


class MilestoneReorderSerializer(ScopedReferences, serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=RolloutPlan.objects.all())
    order = serializers.ListField(child=serializers.IntegerField(), help_text="Every milestone id of the plan, once.")


class MilestoneCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MilestoneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PlanChildViewSet,
):
    """The timetable. Creating a milestone puts its work in the owner's inbox; ``complete`` (by the
    owner) marks it done, and a milestone that names a department records that switch-over."""

    queryset = Milestone.objects.none()
    serializer_class = MilestoneSerializer
    action_capabilities = {"complete": VIEW, "move": MANAGE_PROJECT, "cancel": MANAGE_PROJECT, "reorder": VIEW}
    filterset_fields = ["plan", "owner", "status"]

    def get_queryset(self):
        return (
            Milestone.objects.filter(plan__in=self.visible_plans())
            .select_related("plan__version__process", "work_item")
            .order_by("id")
        )

    FIELDS = ("title_en", "title_zh", "owner", "due_on", "switches_department", "note")
    DEFAULTS = {"title_zh": "", "switches_department": None, "note": ""}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        plan = self._plan(data.pop("plan"))
        values = {name: data.get(name, self.DEFAULTS.get(name)) for name in self.FIELDS}
        serializer.instance = services.milestone_save(plan=plan, user=self.request.user, **values)

    def perform_update(self, serializer):
        milestone = serializer.instance
        data = dict(serializer.validated_data)
        if data.pop("plan", milestone.plan).pk != milestone.plan_id:
            raise APIValidationError({"plan": ["A milestone stays in its plan."]})
        values = {name: data.get(name, getattr(milestone, name)) for name in self.FIELDS}
        serializer.instance = services.milestone_save(
            plan=milestone.plan, user=self.request.user, milestone=milestone, **values
        )

    @extend_schema(request=MilestoneCompleteSerializer, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        milestone = self.get_object()
        serializer = MilestoneCompleteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            services.milestone_complete(milestone=milestone, user=request.user, **serializer.validated_data)
        except work.Conflict as exc:
            raise ConflictError(str(exc)) from None
        return Response(MilestoneSerializer(self.get_queryset().get(pk=milestone.pk)).data)

    @extend_schema(request=MilestoneMoveSerializer, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        milestone = self.get_object()
        serializer = MilestoneMoveSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        services.milestone_move(milestone=milestone, user=request.user, **serializer.validated_data)
        return Response(MilestoneSerializer(self.get_queryset().get(pk=milestone.pk)).data)

    @extend_schema(request=None, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        milestone = self.get_object()
        services.milestone_cancel(milestone=milestone, user=request.user)
        return Response(MilestoneSerializer(self.get_queryset().get(pk=milestone.pk)).data)

    @extend_schema(request=MilestoneReorderSerializer, responses=MilestoneSerializer(many=True))
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        serializer = MilestoneReorderSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        plan = self._plan(serializer.validated_data["plan"])
        rows = services.milestone_reorder(plan=plan, user=request.user, order=serializer.validated_data["order"])
        return Response(MilestoneSerializer(rows, many=True).data)


# Department switch-overs
# ------------------------------------------------------------------------------


class DepartmentSwitchSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = DepartmentSwitch
        fields = ["id", "plan", "department", "switched_on", "recorded_by", "milestone", "note"]


class DepartmentSwitchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PlanChildViewSet):
    """Coverage: the departments that run a plan's version, and since when. Recorded when a milestone
    that names the department is done (``milestones/{id}/complete/``)."""

    queryset = DepartmentSwitch.objects.none()
    serializer_class = DepartmentSwitchSerializer
    filterset_fields = ["plan", "department"]

    def get_queryset(self):
        return DepartmentSwitch.objects.filter(plan__in=self.visible_plans()).order_by("id")


# Training
# ------------------------------------------------------------------------------


class TrainingSessionSerializer(ScopedReferences, serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    sop_url = serializers.SerializerMethodField(help_text="The SOP document of the version rolled out.")
    invited = serializers.IntegerField(read_only=True)
    attended_count = serializers.IntegerField(read_only=True)
    completed_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingSession
        fields = [
            "id",
            "plan",
            "tier",
            "title",
            "title_en",
            "title_zh",
            "starts_at",
            "location",
            "trainer",
            "material",
            "sop_url",
            "invited",
            "attended_count",
            "completed_count",
        ]
        extra_kwargs = {"starts_at": {"validators": [plausible_moment]}}

    def get_sop_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("standards:version-sop", args=[obj.plan.version_id])


class InviteSerializer(ScopedReferences, serializers.Serializer):
    users = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False, default=list
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Invite every active person of this department in ``tier``.",
    )
    tier = serializers.ChoiceField(
        choices=Tier.choices, required=False, allow_null=True, default=None, help_text="Default: the session's tier."
    )


class InvitedSerializer(serializers.Serializer):
    invited = serializers.IntegerField(help_text="How many people were newly invited.")


class TrainingSessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PlanChildViewSet,
):
    """Training sessions per tier. ``invite`` adds people, one by one or by department and tier."""

    queryset = TrainingSession.objects.none()
    serializer_class = TrainingSessionSerializer
    action_capabilities = {"invite": MANAGE_PROJECT}
    filterset_fields = ["plan", "tier"]
    updated_since_fields = ("updated_at", "attendance__updated_at")  # the counts move with attendance

    def get_queryset(self):
        from django.db.models import Count, Q

        return (
            TrainingSession.objects.filter(plan__in=self.visible_plans())
            .select_related("plan__version__process")
            .annotate(
                invited=Count("attendance", distinct=True),
                attended_count=Count("attendance", filter=Q(attendance__attended=True), distinct=True),
                completed_count=Count("attendance", filter=Q(attendance__completed=True), distinct=True),
            )
            .order_by("id")
        )

    def _saved(self, session):
        return self.get_queryset().get(pk=session.pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        plan = self._plan(data.pop("plan"))
        serializer.instance = self._saved(services.session_save(plan=plan, user=self.request.user, **data))

    def perform_update(self, serializer):
        session = serializer.instance
        data = dict(serializer.validated_data)
        if data.pop("plan", session.plan).pk != session.plan_id:
            raise APIValidationError({"plan": ["A session stays in its plan."]})
        values = {
            name: data.get(name, getattr(session, name))
            for name in ("tier", "title_en", "title_zh", "starts_at", "location", "trainer", "material")
        }
        saved = services.session_save(plan=session.plan, user=self.request.user, session=session, **values)
        serializer.instance = self._saved(saved)

    @extend_schema(request=InviteSerializer, responses=InvitedSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        session = self.get_object()
        serializer = InviteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            made = services.attendance_invite(
                session=session,
                user=request.user,
                people=data["users"],
                department=data["department"],
                tier=data["tier"],
            )
        except DjangoValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            # the service names the people "people"; this endpoint calls them "users"
            errors = {("users" if k == "people" else k): v for k, v in exc.message_dict.items()}
            raise APIValidationError(errors) from None
        return Response({"invited": made})


class AttendanceSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "session", "user", "invited_at", "attended", "completed"]
        read_only_fields = ["invited_at"]


class AttendanceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    PlanChildViewSet,
):
    """Who is invited to a session, who attended and who completed it (completing needs attending).
    Create invites one person; PATCH records attendance; DELETE withdraws an invitation not attended."""

    queryset = Attendance.objects.none()
    serializer_class = AttendanceSerializer
    plan_path = "session__plan"
    filterset_fields = ["session", "user", "attended", "completed"]

    def get_queryset(self):
        return (
            Attendance.objects.filter(session__plan__in=self.visible_plans())
            .select_related("session__plan__version__process", "user")
            .order_by("id")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        session = data["session"]
        self._plan(session.plan)
        if data.get("completed") and not data.get("attended"):
            raise APIValidationError({"completed": ["Completing the training needs attending it."]})
        try:
            services.attendance_invite(session=session, user=self.request.user, people=[data["user"]])
        except DjangoValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            errors = {("user" if k == "people" else k): v for k, v in exc.message_dict.items()}
            raise APIValidationError(errors) from None
        row = session.attendance.get(user=data["user"])
        if data.get("attended") or data.get("completed"):
            services.attendance_mark(
                session=session,
                user=self.request.user,
                marks={row.pk: (bool(data.get("attended")), bool(data.get("completed")))},
            )
            row.refresh_from_db()
        serializer.instance = row

    def perform_update(self, serializer):
        row = serializer.instance
        data = serializer.validated_data
        if data.get("session", row.session).pk != row.session_id or data.get("user", row.user).pk != row.user_id:
            raise APIValidationError({"non_field_errors": ["Only attended and completed can change."]})
        attended = data.get("attended", row.attended)
        completed = data.get("completed", row.completed)
        try:
            services.attendance_mark(session=row.session, user=self.request.user, marks={row.pk: (attended, completed)})
        except DjangoValidationError as exc:
            raise APIValidationError({"completed": [m for ms in exc.message_dict.values() for m in ms]}) from None
        row.refresh_from_db()

    def perform_destroy(self, instance):
        services.attendance_remove(attendance=instance, user=self.request.user)


# Monitoring reviews
# ------------------------------------------------------------------------------


class MonitoringReviewSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = MonitoringReview
        fields = [
            "id",
            "plan",
            "cadence",
            "period_start",
            "period_end",
            "work_item",
            "conclusions",
            "created_at",
            "closed_at",
        ]


class ReviewCloseSerializer(serializers.Serializer):
    conclusions = serializers.CharField()


class MonitoringReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PlanChildViewSet):
    """Reviews created by Celery beat, one per period (daily while the rollout is young, then weekly),
    each a task for the plan's owner. ``close`` (by the owner) records the conclusions."""

    queryset = MonitoringReview.objects.none()
    serializer_class = MonitoringReviewSerializer
    action_capabilities = {"close": VIEW}
    filterset_fields = ["plan", "cadence"]

    def get_queryset(self):
        return (
            MonitoringReview.objects.filter(plan__in=self.visible_plans())
            .select_related("plan__version__process", "work_item")
            .order_by("id")
        )

    @extend_schema(request=ReviewCloseSerializer, responses=MonitoringReviewSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        review = self.get_object()
        serializer = ReviewCloseSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            services.review_close(review=review, user=request.user, **serializer.validated_data)
        except work.Conflict as exc:
            raise ConflictError(str(exc)) from None
        return Response(MonitoringReviewSerializer(self.get_queryset().get(pk=review.pk)).data)
