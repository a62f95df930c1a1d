"""REST endpoints of pilots: pilots (start, close, report), stand-ups, template 3 feedback (accept,
reject), surveys (answer, results) and customer interviews. Same permissions as the pages: the lists
hold what the user may see; the services decide who may change what."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsflow.api.sync import ETagMixin, plausible_moment
from processes.api.permissions import RolePermission
from processes.api.references import ScopedReferences
from processes.choices import TimeUnit
from processes.constants import MANAGE_PROJECT, VIEW
from processes.models import Step

from ..models import CustomerInterview, FeedbackItem, Pilot, StandUp, Survey, SurveyQuestion
from ..selectors import pilot as selectors
from ..services import pilot as pilots


class ScopedObjectPermission(RolePermission):
    """Objects come from querysets already narrowed to the user's scope; services check each change."""

    def has_object_permission(self, request, view, obj):
        return True


class PilotSerializer(ScopedReferences, serializers.ModelSerializer):
    runs = serializers.SerializerMethodField(help_text="Runs attributed to the pilot and to its control group.")

    class Meta:
        model = Pilot
        fields = [
            "id",
            "name_en",
            "name_zh",
            "project",
            "version",
            "departments",
            "control_departments",
            "business_line",
            "starts_on",
            "ends_on",
            "cycles",
            "baseline_start",
            "baseline_end",
            "status",
            "owner",
            "conclusion",
            "runs",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "conclusion", "created_by", "created_at", "updated_at"]
        # the report turns these into moments: years an ISO 8601 client can read back
        extra_kwargs = {
            name: {"validators": [plausible_moment]}
            for name in ("starts_on", "ends_on", "baseline_start", "baseline_end")
        }
        # the database's own checks are repeated with field messages by the service
        validators = []

    def get_runs(self, obj) -> dict[str, int]:
        return selectors.pilot_report_runs(obj)


class PilotCloseSerializer(serializers.Serializer):
    conclusion = serializers.CharField()


class FigureSerializer(serializers.Serializer):
    indicator = serializers.CharField(source="indicator.code")
    unit = serializers.CharField(source="indicator.unit")
    pilot = serializers.DecimalField(source="pilot.value", max_digits=14, decimal_places=4, allow_null=True)
    pilot_n = serializers.IntegerField(source="pilot.n", allow_null=True)
    control = serializers.SerializerMethodField()
    baseline = serializers.DecimalField(source="baseline.value", max_digits=14, decimal_places=4, allow_null=True)
    change = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)

    def get_control(self, obj) -> str | None:
        return None if obj.control is None or obj.control.value is None else str(obj.control.value)


class StepFigureSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    title = serializers.CharField()
    limit = serializers.CharField()
    started = serializers.IntegerField()
    finished = serializers.IntegerField()
    mean_hours = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    on_time_rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    late = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    period = serializers.ListField(child=serializers.DateField())
    baseline_period = serializers.ListField(child=serializers.DateField())
    runs = serializers.DictField(child=serializers.IntegerField())
    figures = FigureSerializer(many=True)
    steps = StepFigureSerializer(many=True)
    feedback = serializers.DictField(child=serializers.IntegerField(), help_text="Feedback items per status.")
    escalations = serializers.ListField(child=serializers.DictField())
    exceptions = serializers.SerializerMethodField()

    def get_exceptions(self, obj) -> list[dict]:
        return [{"trigger": row["trigger"], "count": row["n"], "open": row["open"]} for row in obj.exceptions]


class PilotViewSet(
    ETagMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Pilots: a standard version on trial in a scope. ``start``, ``close`` and the ``report``."""

    queryset = Pilot.objects.none()
    serializer_class = PilotSerializer
    permission_classes = [ScopedObjectPermission]
    write_capability = MANAGE_PROJECT
    action_capabilities = {"start": MANAGE_PROJECT, "close": MANAGE_PROJECT, "report": VIEW}
    filterset_fields = ["status", "version", "project"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pilot.objects.none()
        return (
            selectors.pilot_list(user=self.request.user)
            .prefetch_related("departments", "control_departments")
            .order_by("id")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = pilots.pilot_create(
            user=self.request.user,
            departments=data.pop("departments", []),
            control_departments=data.pop("control_departments", []),
            **data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = pilots.pilot_update(
            pilot=serializer.instance,
            user=self.request.user,
            departments=data.pop("departments", None),
            control_departments=data.pop("control_departments", None),
            **data,
        )

    @extend_schema(request=None, responses=PilotSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        pilot = pilots.pilot_start(pilot=self.get_object(), user=request.user)
        return Response(PilotSerializer(pilot).data)

    @extend_schema(request=PilotCloseSerializer, responses=PilotSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        serializer = PilotCloseSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        pilot = pilots.pilot_close(pilot=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(PilotSerializer(pilot).data)

    @extend_schema(responses=ReportSerializer)
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        return Response(ReportSerializer(selectors.pilot_report(self.get_object())).data)


class PilotChildViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rows of the pilots the user may see; ``?pilot=`` narrows to one."""

    permission_classes = [ScopedObjectPermission]
    write_capability = VIEW  # the services decide who may add what
    filterset_fields = ["pilot"]

    def get_queryset(self):
        model = self.serializer_class.Meta.model
        if getattr(self, "swagger_fake_view", False):
            return model.objects.none()
        return model.objects.filter(pilot__in=selectors.pilot_list(user=self.request.user)).order_by("id")


class StandUpSerializer(ScopedReferences, serializers.ModelSerializer):
    change_step = serializers.PrimaryKeyRelatedField(
        queryset=Step.objects.all(), required=False, allow_null=True, write_only=True
    )
    new_time_unit = serializers.ChoiceField(choices=TimeUnit.choices, required=False, allow_blank=True, default="")
    open_draft = serializers.BooleanField(required=False, default=False, write_only=True)

    class Meta:
        model = StandUp
        fields = [
            "id",
            "pilot",
            "held_on",
            "attendees",
            "guests",
            "problems",
            "decisions",
            "change_step",
            "changed_step_key",
            "new_time_limit",
            "new_time_unit",
            "open_draft",
            "draft_version",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["changed_step_key", "draft_version", "created_by", "created_at"]
        extra_kwargs = {"attendees": {"required": False}}
        validators = []


class StandUpViewSet(PilotChildViewSet, mixins.CreateModelMixin):
    """Daily stand-ups. A ``change_step`` with ``new_time_limit``/``new_time_unit`` (or ``open_draft``)
    opens a draft of the next version with that change, returned as ``draft_version``."""

    serializer_class = StandUpSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = pilots.standup_save(user=self.request.user, attendees=data.pop("attendees", []), **data)


class FeedbackSerializer(ScopedReferences, serializers.ModelSerializer):
    due_at = serializers.DateTimeField(source="work_item.due_at", read_only=True, allow_null=True)

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "pilot",
            "number",
            "department",
            "problem",
            "suggestion",
            "responsible_department",
            "due_days",
            "status",
            "raised_by",
            "raised_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "work_item",
            "due_at",
            "resolution",
            "resolved_by",
            "resolved_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "raised_by",
            "raised_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "work_item",
            "resolution",
            "resolved_by",
            "resolved_at",
        ]
        validators = []


class DecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")


class FeedbackViewSet(PilotChildViewSet, mixins.CreateModelMixin):
    """Template 3 rows. ``decide`` accepts one (work for the responsible department, due in its
    working days; completing that work in the inbox resolves it) or rejects it with a reason."""

    serializer_class = FeedbackSerializer
    action_capabilities = {"decide": MANAGE_PROJECT}
    filterset_fields = ["pilot", "status", "responsible_department"]

    def perform_create(self, serializer):
        serializer.instance = pilots.feedback_raise(user=self.request.user, **serializer.validated_data)

    @extend_schema(request=DecisionSerializer, responses=FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        serializer = DecisionSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        item = pilots.feedback_decide(item=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(FeedbackSerializer(item).data)


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyQuestion
        fields = ["id", "position", "text_en", "text_zh", "kind"]
        read_only_fields = ["id", "position"]


class SurveySerializer(ScopedReferences, serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, required=False, help_text="Default: clarity, efficiency, comment.")

    class Meta:
        model = Survey
        fields = ["id", "pilot", "title_en", "title_zh", "is_open", "questions", "created_by", "created_at"]
        read_only_fields = ["is_open", "created_by", "created_at"]


class AnswerSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text='{"<question id>": "<rating 1-5 or comment>"}; every rating question is required.',
    )


class ResultSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question.pk")
    text = serializers.CharField(source="question.text")
    answers = serializers.IntegerField()
    mean = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    distribution = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    comments = serializers.ListField(child=serializers.CharField(), allow_null=True)


class SurveyViewSet(PilotChildViewSet, mixins.CreateModelMixin):
    """Staff questionnaires. Staff in the pilot's scope ``answer`` once; ``results`` aggregates them."""

    serializer_class = SurveySerializer
    action_capabilities = {"answer": VIEW, "results": VIEW}

    def get_queryset(self):
        return super().get_queryset().prefetch_related("questions")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        questions = data.pop("questions", None)
        if questions is not None:
            questions = [(q["text_en"], q.get("text_zh", ""), q.get("kind", "rating")) for q in questions]
        serializer.instance = pilots.survey_create(user=self.request.user, questions=questions, **data)

    @extend_schema(
        request=AnswerSerializer,
        responses=inline_serializer("SurveyAnswered", {"id": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        serializer = AnswerSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            answers = {int(key): value for key, value in serializer.validated_data["answers"].items()}
        except ValueError:
            raise serializers.ValidationError({"answers": ["Keys are question ids."]}) from None
        response = pilots.survey_answer(survey=self.get_object(), user=request.user, answers=answers)
        return Response({"id": response.pk}, status=201)

    @extend_schema(responses=ResultSerializer(many=True))
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        return Response(ResultSerializer(selectors.survey_results(self.get_object()), many=True).data)


class InterviewSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = CustomerInterview
        fields = ["id", "pilot", "customer", "held_on", "interviewer", "satisfaction", "notes", "created_at"]
        read_only_fields = ["interviewer", "created_at"]
        validators = []


class InterviewViewSet(PilotChildViewSet, mixins.CreateModelMixin):
    """Customer interviews with a satisfaction score (1-5)."""

    serializer_class = InterviewSerializer

    def perform_create(self, serializer):
        serializer.instance = pilots.interview_save(user=self.request.user, **serializer.validated_data)
