"""The seed's world as demo data: departments, people and roles (later issues add processes, runs...).

Every loader is idempotent: it creates what is missing and saves a row only when a value differs, so
running ``loaddemo`` twice changes nothing (not even the audit trail).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from . import services
from .choices import (
    BottleneckKind,
    CaseSource,
    EscalationTarget,
    Level,
    NoteKind,
    ProblemSource,
    Role,
    TimeUnit,
    VersionStatus,
    WorkKind,
)
from .models import Case, Department, ImprovementProject, Process, StandardVersion, User
from .selectors.mapping import parse_flow
from .services import cases, projects, work
from .services import mapping as mapping_services

DEMO_PASSWORD = "demo"

DEPARTMENTS = [
    # code, English, Chinese, parent code
    ("head-office", "Head office", "总部", None),
    ("sales", "Sales", "销售部", "head-office"),
    ("warehouse", "Warehouse", "仓储部", "head-office"),
    ("logistics", "Logistics", "物流部", "head-office"),
    ("customer-service", "Customer Service", "客服部", "head-office"),
    ("it", "IT", "信息技术部", "head-office"),
    ("hr", "HR", "人力资源部", "head-office"),
]

# username, first name, last name, department, role, supervisor, heads
USERS = [
    (
        "director",
        "Lin",
        "Zhou",
        "head-office",
        Role.OPERATIONS_DIRECTOR,
        None,
        ["head-office", "customer-service", "it", "hr"],
    ),
    ("manager", "Wei", "Chen", "sales", Role.MANAGER, "director", ["sales", "warehouse", "logistics"]),
    ("specialist", "Fang", "Li", "head-office", Role.PROCESS_SPECIALIST, "director", []),
    ("sales", "Min", "Wang", "sales", Role.OPS_STAFF, "manager", []),
    ("warehouse", "Qiang", "Zhao", "warehouse", Role.OPS_STAFF, "manager", []),
    ("logistics", "Jun", "Sun", "logistics", Role.OPS_STAFF, "manager", []),
    ("cs", "Hui", "Liu", "customer-service", Role.OPS_STAFF, "director", []),
    ("it", "Lei", "Huang", "it", Role.IT_SUPPORT, "director", []),
    ("admin", "Admin", "", "it", Role.ADMIN, None, []),
]


def upsert(model, lookup: dict, values: dict):
    """Get or create by ``lookup``; save only when one of ``values`` differs. Returns (obj, changed)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        return obj, True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.full_clean()
        obj.save(update_fields=changed)
    return obj, bool(changed)


def load_organisation():
    departments = {}
    for code, name_en, name_zh, parent in DEPARTMENTS:
        departments[code], _ = upsert(
            Department,
            {"code": code},
            {"name_en": name_en, "name_zh": name_zh, "parent": departments.get(parent)},
        )
    users = {}
    for username, first, last, dept, role, supervisor, _heads in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_password(DEMO_PASSWORD)
        values = {
            "first_name": first,
            "last_name": last,
            "email": f"{username}@opsflow.example",
            "department": departments[dept],
            "supervisor": users.get(supervisor),
            "is_staff": role in (Role.ADMIN, Role.IT_SUPPORT),
            "is_superuser": role == Role.ADMIN,
        }
        changed = [name for name, value in values.items() if getattr(user, name) != value]
        if user.pk is None or changed:
            for name, value in values.items():
                setattr(user, name, value)
            user.save()
        group = Group.objects.get(name=role.value)
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
        users[username] = user
    for username, *_rest, heads in USERS:
        for code in heads:
            departments[code], _ = upsert(Department, {"code": code}, {"head": users[username]})
    for user in users.values():
        user.department = departments[user.department.code]
    return departments, users


def _step(name_en, name_zh, dept, limit, standard_en="", standard_zh="", automatic=False, **extra):
    return {
        "name_en": name_en,
        "name_zh": name_zh,
        "department": dept,
        "role": Role.OPS_STAFF,
        "time_limit": Decimal(limit) if limit is not None else None,
        "time_unit": extra.pop("unit", TimeUnit.HOURS),
        "standard_en": standard_en,
        "standard_zh": standard_zh,
        "automatic": automatic,
        **extra,
    }


def _standards(d):
    """The seed's template 2 (order processing) and a complaint-handling standard, in both languages."""
    order = {
        "process": {
            "code": "order-processing",
            "name_en": "Order processing",
            "name_zh": "订单处理",
            "department": d["sales"],
            "description_en": "From the customer's online order to the courier hand-off.",
            "description_zh": "从客户在线下单到交接快递的全过程。",
        },
        "fields": {
            "goal_en": "Every order reviewed and confirmed within 24 hours, accuracy >= 99%.",
            "goal_zh": "每笔订单 24 小时内完成审核确认，准确率 ≥ 99%。",
            "scope_en": "Online-shop standard-goods orders.",
            "scope_zh": "线上商城标准品订单。",
            "out_of_scope_en": "Custom goods orders.",
            "out_of_scope_zh": "定制品订单。",
            "inputs_en": "Customer order information",
            "inputs_zh": "客户订单信息",
            "outputs_en": "Ledger of approved orders; waybill number",
            "outputs_zh": "审核通过的订单台账；物流单号",
            "change_note": "First standard, from the current-state analysis.",
        },
        "targets": [
            {
                "kind": "goal",
                "indicator_en": "Order review and confirmation time",
                "indicator_zh": "订单审核确认时长",
                "comparator": "<=",
                "value": Decimal("24"),
                "unit": "h",
            },
            {
                "kind": "goal",
                "indicator_en": "Order accuracy",
                "indicator_zh": "订单准确率",
                "comparator": ">=",
                "value": Decimal("99"),
                "unit": "%",
            },
            {
                "kind": "quality",
                "indicator_en": "Information error rate",
                "indicator_zh": "信息错误率",
                "comparator": "<=",
                "value": Decimal("1"),
                "unit": "%",
            },
        ],
        "steps": [
            _step(
                "Customer places the order online",
                "客户在线下单",
                d["sales"],
                None,
                "The system triggers the process automatically when the order is submitted.",
                "客户提交订单后系统自动触发流程。",
                automatic=True,
                outputs_en="Order record",
                outputs_zh="订单记录",
            ),
            _step(
                "Sales reviews the order",
                "销售审核订单",
                d["sales"],
                "2",
                "Check identity, delivery address and goods: the ID number and the delivery address must agree.",
                "核对身份、收货地址和商品信息：身份证号与收货地址须一致。",
                checks_en="Identity checked\nDelivery address complete and consistent\nGoods and quantities correct",
                checks_zh="已核对身份\n收货地址完整且一致\n商品与数量正确",
                inputs_en="Order record",
                inputs_zh="订单记录",
                outputs_en="Approved order",
                outputs_zh="审核通过的订单",
            ),
            _step(
                "Warehouse confirms stock",
                "仓库确认库存",
                d["warehouse"],
                "1",
                "Confirm stock for every line; an out-of-stock line triggers replenishment.",
                "逐行确认库存；缺货时触发补货。",
                checks_en="Every line in stock or replenishment triggered",
                checks_zh="每行均有库存或已触发补货",
            ),
            _step(
                "Logistics hands off to the courier",
                "物流交接快递",
                d["logistics"],
                "1",
                "Hand the parcel to the courier and record the waybill number.",
                "将包裹交接给快递并录入物流单号。",
                checks_en="Waybill number recorded",
                checks_zh="已录入物流单号",
                outputs_en="Waybill number",
                outputs_zh="物流单号",
            ),
        ],
        "escalation_levels": [{"level": 1, "target": EscalationTarget.SUPERVISOR, "after_hours": Decimal("0")}],
        "exception_plans": [
            {
                "trigger_en": "Order information missing",
                "trigger_zh": "订单信息缺失",
                "action_en": "Contact the customer within 1 hour to complete it.",
                "action_zh": "1 小时内联系客户补全信息。",
                "department": d["sales"],
                "response_limit": Decimal("1"),
                "response_unit": TimeUnit.HOURS,
            },
            {
                "trigger_en": "Goods out of stock",
                "trigger_zh": "商品缺货",
                "action_en": "Trigger replenishment and tell the customer the new delivery date.",
                "action_zh": "触发补货并告知客户新的发货日期。",
                "department": d["warehouse"],
                "response_limit": Decimal("2"),
                "response_unit": TimeUnit.HOURS,
            },
        ],
    }
    complaint = {
        "process": {
            "code": "complaint-handling",
            "name_en": "Customer complaint handling",
            "name_zh": "客户投诉处理",
            "department": d["customer-service"],
            "description_en": "From a registered complaint to the reply to the customer.",
            "description_zh": "从投诉登记到回复客户的全过程。",
        },
        "fields": {
            "goal_en": "Every complaint answered within 3 working days; complaint rate down 15%.",
            "goal_zh": "每起投诉 3 个工作日内答复客户；投诉率降低 15%。",
            "scope_en": "Complaints received by phone, e-mail and the online shop.",
            "scope_zh": "通过电话、邮件和线上商城收到的投诉。",
            "inputs_en": "Customer complaint",
            "inputs_zh": "客户投诉",
            "outputs_en": "Reply to the customer; complaint record",
            "outputs_zh": "给客户的答复；投诉记录",
            "change_note": "Cross-department hand-off now has a time limit.",
        },
        "targets": [
            {
                "kind": "goal",
                "indicator_en": "Complaint reply time",
                "indicator_zh": "投诉答复时长",
                "comparator": "<=",
                "value": Decimal("3"),
                "unit": "working days",
            },
            {
                "kind": "quality",
                "indicator_en": "Customer complaint rate",
                "indicator_zh": "客户投诉率",
                "comparator": "<=",
                "value": Decimal("10.2"),
                "unit": "%",
            },
        ],
        "steps": [
            _step(
                "Register the complaint",
                "登记投诉",
                d["customer-service"],
                "2",
                "Record the customer, the order and the problem.",
                "记录客户、订单和问题。",
            ),
            _step(
                "Forward to the department concerned",
                "转交责任部门",
                d["customer-service"],
                "4",
                "Name the responsible department and person; the hand-off has a time limit.",
                "明确责任部门和责任人；转交有时限。",
                unit=TimeUnit.WORKING_HOURS,
            ),
            _step(
                "Handle the complaint",
                "处理投诉",
                d["sales"],
                "2",
                "Find the cause and decide the remedy.",
                "查明原因并确定补救措施。",
                unit=TimeUnit.WORKING_DAYS,
            ),
            _step(
                "Reply to the customer",
                "答复客户",
                d["customer-service"],
                "1",
                "Tell the customer the outcome and record their satisfaction.",
                "告知客户处理结果并记录满意度。",
                unit=TimeUnit.WORKING_DAYS,
            ),
        ],
        "escalation_levels": [
            {"level": 1, "target": EscalationTarget.SUPERVISOR, "after_hours": Decimal("0")},
            {"level": 2, "target": EscalationTarget.OPERATIONS_DIRECTOR, "after_hours": Decimal("8")},
        ],
        "exception_plans": [
            {
                "trigger_en": "Customer cannot be reached",
                "trigger_zh": "无法联系到客户",
                "action_en": "Try again by another channel and leave a message within 4 hours.",
                "action_zh": "4 小时内通过其他渠道再次联系并留言。",
                "department": None,
                "response_limit": Decimal("4"),
                "response_unit": TimeUnit.WORKING_HOURS,
            },
        ],
    }
    return [order, complaint]


def load_standards(departments, users):
    """Publish the demo standards through the services (author: the specialist; approver: a manager)."""
    for spec in _standards(departments):
        process = Process.objects.filter(code=spec["process"]["code"]).first()
        if process is not None and process.versions.exists():
            continue
        author = users["specialist"]
        approver = users["manager"] if spec["process"]["department"].code == "sales" else users["director"]
        if process is None:
            values = dict(spec["process"])
            process = services.process_create(user=author, code=values.pop("code"), **values)
        version = services.version_create(process=process, user=author)
        services.version_save(
            version=version,
            user=author,
            fields=spec["fields"],
            steps=spec["steps"],
            targets=spec["targets"],
            escalation_levels=spec["escalation_levels"],
            exception_plans=spec["exception_plans"],
        )
        services.version_submit(version=version, user=author)
        services.version_approve(version=version, user=approver)
        services.version_publish(version=version, user=approver)


def load_runs(users):
    """Runs of the seed's order process in every state: on time, late, escalated, with an exception."""

    order = StandardVersion.objects.get(process__code="order-processing", status=VersionStatus.PUBLISHED)
    complaint = StandardVersion.objects.get(process__code="complaint-handling", status=VersionStatus.PUBLISHED)
    now = timezone.now().replace(second=0, microsecond=0)
    sales, warehouse, logistics = users["sales"], users["warehouse"], users["logistics"]

    def start(version, external_id, title, at, user=sales):
        run, created = work.run_start(version=version, user=user, external_id=external_id, title=title, at=at)
        return run if created else None

    def step(run, position):
        return run.items.get(kind=WorkKind.STEP, position=position)

    # on time: every step well within its limit
    run = start(order, "SO-1001", "Order SO-1001 (on time)", now - timedelta(days=3))
    if run:
        t = run.started_at
        work.item_claim(item=step(run, 2), user=sales, at=t + timedelta(minutes=15))
        work.item_complete(item=step(run, 2), user=sales, checks=step(run, 2).step.checks, at=t + timedelta(minutes=50))
        work.item_complete(
            item=step(run, 3), user=warehouse, checks=step(run, 3).step.checks, at=t + timedelta(minutes=90)
        )
        work.item_complete(
            item=step(run, 4), user=logistics, checks=step(run, 4).step.checks, at=t + timedelta(minutes=130)
        )
    # late: the review took four hours, so it escalated to the supervisor on the way
    run = start(order, "SO-1002", "Order SO-1002 (late review)", now - timedelta(days=2))
    if run:
        t = run.started_at
        work.escalation_sweep(now=t + timedelta(hours=2, minutes=30), fan_out=False)
        work.item_complete(
            item=step(run, 2), user=sales, checks=step(run, 2).step.checks[:2], at=t + timedelta(hours=4)
        )
        work.item_complete(item=step(run, 3), user=warehouse, at=t + timedelta(hours=4, minutes=40))
        work.item_complete(item=step(run, 4), user=logistics, at=t + timedelta(hours=5, minutes=20))
    # escalated and still open: nobody has reviewed it for five hours
    run = start(order, "SO-1003", "Order SO-1003 (waiting for review)", now - timedelta(hours=5))
    if run:
        work.escalation_sweep(now=now, fan_out=False)
    # with an exception: information missing, the customer must be called within 1 h
    run = start(order, "SO-1004", "Order SO-1004 (information missing)", now - timedelta(minutes=40))
    if run:
        review = step(run, 2)
        work.item_claim(item=review, user=sales, at=now - timedelta(minutes=30))
        plan = order.exception_plans.get(trigger_en="Order information missing")
        work.exception_report(
            item=review, user=sales, plan=plan, note="No phone number on the order.", at=now - timedelta(minutes=25)
        )
    # in progress and on time
    start(order, "SO-1005", "Order SO-1005", now - timedelta(minutes=20))
    run = start(complaint, "CMP-2001", "Complaint CMP-2001 (late delivery)", now - timedelta(hours=1), user=users["cs"])
    if run:
        work.item_complete(item=step(run, 1), user=users["cs"], at=now - timedelta(minutes=30))


def demo_users():
    return {u.username: u for u in User.objects.filter(username__in=[row[0] for row in USERS])}


def load_processes():
    departments = {d.code: d for d in Department.objects.all()}
    load_standards(departments, demo_users())


def load_demo_runs():
    load_runs(demo_users())


def load_projects(*, indicators):
    """The seed's improvement project: goals, team, problem list, and template 1's two rows.
    ``indicators`` maps the codes of the metrics app's indicators ("cycle-time", "complaint-rate") to
    them: the goals measure against them, and the site's demo loader (``opsflow.demo``) passes them in
    so that this app does not import metrics."""
    if ImprovementProject.objects.filter(name_en="Order and complaint processes").exists():
        return
    users = demo_users()
    departments = {d.code: d for d in Department.objects.all()}
    order = Process.objects.get(code="order-processing")
    complaint = Process.objects.get(code="complaint-handling")
    project = projects.project_create(
        user=users["director"],
        name_en="Order and complaint processes",
        name_zh="订单与投诉流程优化",
        strategic_goal_en="Faster, more accurate order fulfilment and fewer complaints as the online shop grows.",
        strategic_goal_zh="随着线上商城扩张，让订单履约更快、更准确，并减少客户投诉。",
        department=departments["head-office"],
        processes=[order, complaint],
        lead=users["specialist"],
        team=[
            (users["sales"], "business_backbone"),
            (users["cs"], "business_backbone"),
            (users["specialist"], "process_specialist"),
            (users["it"], "it_support"),
        ],
    )
    author = users["specialist"]
    projects.goal_save(
        project=project,
        user=author,
        indicator=indicators["cycle-time"],
        process=order,
        description_en="Cut order processing time by 20%",
        description_zh="订单处理时长缩短 20%",
        baseline_value=Decimal("7"),
        target_kind="relative",
        target_value=Decimal("-20"),
    )
    projects.goal_save(
        project=project,
        user=author,
        indicator=indicators["complaint-rate"],
        process=complaint,
        description_en="Lower the customer complaint rate by 15%",
        description_zh="客户投诉率降低 15%",
        baseline_value=Decimal("12"),
        target_kind="relative",
        target_value=Decimal("-15"),
    )
    review_backlog = projects.problem_save(
        project=project,
        user=author,
        process=order,
        source=ProblemSource.DATA,
        severity=Level.HIGH,
        description="Review backlog delays delivery (average review 4 h) / 审核积压导致发货延迟",
    )
    projects.problem_save(
        project=project,
        user=author,
        process=complaint,
        source=ProblemSource.CUSTOMER,
        severity=Level.MEDIUM,
        description="No clear cross-department responsibility; customers wait 3 days / "
        "跨部门职责不清，客户平均等待 3 天",
    )
    projects.note_save(
        project=project,
        user=author,
        kind=NoteKind.INTERVIEW,
        date=date(2026, 6, 15),
        subject="Sales team / 销售团队",
        text="Reviewing an order means switching between several systems. / 审核订单需要在多个系统间切换。",
    )
    rows = [
        (
            order,
            "Sales, Min Wang",
            "customer orders -> manual review (avg 4 h) -> stock confirmation (2 h) -> logistics hand-off (1 h)",
            ["客户下单", "人工审核", "库存确认", "物流对接"],
            ["sales", "sales", "warehouse", "logistics"],
            "Review backlog delays delivery",
            "审核积压导致发货延迟",
            "high",
        ),
        (
            complaint,
            "Customer service, Hui Liu",
            "complaint registered -> forwarded to the department concerned (no time limit) -> handled "
            "-> reply to customer (avg 3 days)",
            ["投诉登记", "转交相关部门", "处理", "回复客户"],
            ["customer-service", "sales", "sales", "customer-service"],
            "No clear cross-department responsibility, low customer satisfaction",
            "跨部门职责不清，客户满意度低",
            "medium",
        ),
    ]
    for process, owner, flow, names_zh, depts, pain_en, pain_zh, risk in rows:
        steps = parse_flow(flow)
        for step, name_zh, dept in zip(steps, names_zh, depts, strict=True):
            step["name_zh"] = name_zh
            step["department"] = departments[dept]
        mapping_services.analysis_save(
            project=project,
            user=author,
            process=process,
            owner=owner,
            pain_points_en=pain_en,
            pain_points_zh=pain_zh,
            risk=risk,
            steps=steps,
        )
    mapping_services.bottleneck_save(
        project=project,
        user=author,
        process=order,
        kind=BottleneckKind.CHOKE_POINT,
        step="manual review",
        evidence="Reviews pile up at the Sales desk: 4 h on average, 57% of the whole flow.",
        proposed_fix="Review limit 2 h; merge order information and review into one system.",
        problems=[review_backlog],
    )
    mapping_services.bottleneck_suggest(project=project, user=author)
    # preparation is done and approved: the project is mapping now
    projects.phase_submit(project=project, user=author)
    projects.gate_decide(project=project, user=users["director"], approve=True)


def load_cases():
    """Two lessons in the case library: one from the pilot, one from the complaint process."""
    if Case.objects.exists():
        return
    users = demo_users()
    departments = {d.code: d for d in Department.objects.all()}
    project = ImprovementProject.objects.filter(name_en="Order and complaint processes").first()
    cases.case_save(
        user=users["manager"],
        title_en="A review limit that is too tight makes people skip checks",
        title_zh="审核时限过紧会让人跳过核对",
        lesson_en="In the regional sales pilot a 1.5-hour review limit pushed staff to skip the ID check on "
        "incomplete orders. The stand-up changed it to 3 hours and on-time reviews held. Pilot a limit before "
        "publishing it.",
        lesson_zh="区域销售组试点中，1.5 小时的审核时限使员工在订单信息不全时跳过身份核对。站会将其改为 3 小时后，"
        "审核仍能按时完成。时限应先试点再发布。",
        department=departments["sales"],
        process=Process.objects.get(code="order-processing"),
        project=project,
        source=CaseSource.PILOT,
        tags=["time limit", "pilot", "审核"],
    )
    cases.case_save(
        user=users["director"],
        title_en="Every hand-off needs a time limit",
        title_zh="每次交接都需要时限",
        lesson_en="Complaints stalled between customer service and logistics because the hand-off had no owner and "
        "no limit. Giving the hand-off its own step with a 4-hour limit made the delay visible and escalated.",
        lesson_zh="投诉在客服部和物流部之间停滞，因为交接既无负责人也无时限。把交接设为单独的步骤并给予 4 小时时限后，"
        "延误变得可见并会自动升级。",
        department=departments["customer-service"],
        process=Process.objects.get(code="complaint-handling"),
        project=project,
        source=CaseSource.PROJECT,
        tags=["hand-off", "交接"],
    )
