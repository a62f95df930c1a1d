"""The seed's rollout as demo data: a plan for the order-processing standard with the seed's milestones
("HR organises training", "IT updates the process nodes"), department switch-overs, tiered training
with some attendance, and the first monitoring reviews.

Idempotent: nothing happens when the plan exists already. Everything goes through the services, so the
milestones and reviews are real work in their owners' inboxes and the audit trail is complete."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from processes.choices import VersionStatus
from processes.demo import demo_users
from processes.models import Department, ImprovementProject, StandardVersion

from ..choices import Tier
from ..models import MonitoringReview, RolloutPlan
from ..services import rollout as services

NAME_EN = "Order processing: rollout of the new standard"
NAME_ZH = "订单处理：新标准推广"


def load(users=None) -> RolloutPlan | None:
    if users is None:
        users = demo_users()
    version = StandardVersion.objects.filter(process__code="order-processing", status=VersionStatus.PUBLISHED).first()
    if version is None or RolloutPlan.objects.filter(name_en=NAME_EN).exists():
        return None
    director, manager, specialist, it = users["director"], users["manager"], users["specialist"], users["it"]
    departments = {d.code: d for d in Department.objects.all()}
    now = timezone.now().replace(second=0, microsecond=0)
    today = timezone.localdate(now)
    start = today - timedelta(days=12)
    zone = timezone.get_current_timezone()

    def at(day, hour=10, minute=0):
        return datetime.combine(day, time(hour, minute), tzinfo=zone)

    plan = services.plan_create(
        user=director,
        version=version,
        owner=manager,
        name_en=NAME_EN,
        name_zh=NAME_ZH,
        starts_on=start,
        daily_until=today - timedelta(days=3),
        ends_on=today + timedelta(days=40),
        project=ImprovementProject.objects.filter(name_en="Order and complaint processes").first(),
    )
    planned = at(start - timedelta(days=3), 9)

    def milestone(title_en, title_zh, owner, due, switches=None):
        return services.milestone_save(
            plan=plan,
            user=director,
            title_en=title_en,
            title_zh=title_zh,
            owner=owner,
            due_on=due,
            switches_department=departments[switches] if switches else None,
            at=planned,
        )

    training = milestone("HR organises training", "人力资源部组织培训", director, start + timedelta(days=3))
    nodes = milestone("IT updates the process nodes", "信息技术部更新流程节点", it, start + timedelta(days=4))
    sales = milestone(
        "Switch Sales over to the new version", "销售部切换到新版本", manager, start + timedelta(days=5), "sales"
    )
    milestone(
        "Switch Logistics over to the new version",
        "物流部切换到新版本",
        manager,
        today - timedelta(days=1),
        "logistics",
    )
    milestone(
        "Switch Warehouse over to the new version",
        "仓储部切换到新版本",
        manager,
        today + timedelta(days=5),
        "warehouse",
    )
    services.milestone_complete(
        milestone=training, user=director, note="Three sessions, one per tier.", at=at(start + timedelta(days=2), 17)
    )
    # done two days late: the order system's interface had to change first
    services.milestone_complete(
        milestone=nodes,
        user=it,
        note="Review node limit set to 2 h; order data and review in one screen.",
        at=at(start + timedelta(days=6), 16),
    )
    # Sales switched over on the first day: from then on its order runs count in the monitoring figures
    services.milestone_complete(milestone=sales, user=manager, at=at(start, 8))

    sessions = [
        (
            Tier.MANAGEMENT,
            "Management briefing: the new order standard",
            "管理层宣讲：新订单标准",
            at(start + timedelta(days=1), 10),
            "Head office, meeting room 3",
            "Goals and targets of version %(n)s; how the escalation chain works; reading the monitoring page.",
        ),
        (
            Tier.EXECUTION,
            "Hands-on training for order staff",
            "订单岗位实操培训",
            at(start + timedelta(days=2), 14),
            "Sales floor",
            "Reviewing an order in 2 h with the three quality checks; reporting missing information.",
        ),
        (
            Tier.SUPPORT,
            "Support staff: system nodes and escalation",
            "支持人员：系统节点与升级",
            at(start + timedelta(days=3), 15),
            "IT office",
            "The review node's limit and the escalation levels in the system; answering questions from the floor.",
        ),
    ]
    made = {}
    for tier, title_en, title_zh, starts_at, location, material in sessions:
        made[tier] = services.session_save(
            plan=plan,
            user=director,
            tier=tier,
            title_en=title_en,
            title_zh=title_zh,
            starts_at=starts_at,
            location=location,
            trainer=specialist,
            material=material.replace("%(n)s", str(version.number)),
        )
    invited = at(start, 9)
    services.attendance_invite(session=made[Tier.MANAGEMENT], user=director, people=[director, manager], at=invited)
    for code in ("sales", "warehouse", "logistics"):
        services.attendance_invite(
            session=made[Tier.EXECUTION], user=director, department=departments[code], tier=Tier.EXECUTION, at=invited
        )
    services.attendance_invite(session=made[Tier.SUPPORT], user=director, people=[specialist, it], at=invited)
    marks = {
        Tier.MANAGEMENT: {director: (True, True), manager: (True, True)},
        Tier.EXECUTION: {users["sales"]: (True, True), users["warehouse"]: (True, False)},
        Tier.SUPPORT: {it: (True, True), specialist: (True, False)},
    }
    for tier, people in marks.items():
        rows = {a.user_id: a.pk for a in made[tier].attendance.all()}
        services.attendance_mark(
            session=made[tier],
            user=director,
            marks={rows[person.pk]: flags for person, flags in people.items() if person.pk in rows},
        )

    # Celery beat's job, run once now: the reviews of the periods that ended; the first are closed
    services.reviews_create_due(now=now)
    reviews = list(MonitoringReview.objects.filter(plan=plan).select_related("work_item").order_by("period_start"))
    first = (
        "First day on the new standard: reviews within 2 h, no missing information. / "
        "新标准第一天：审核均在 2 小时内完成，无信息缺失。"
    )
    stable = "Stable. Keep watching the review queue at the end of the day. / 运行平稳，继续关注下班前的审核积压。"
    # the last two stay open in the owner's inbox
    for index, review in enumerate(reviews[:-2]):
        services.review_close(review=review, user=manager, conclusions=first if index == 0 else stable, at=now)
    return plan
