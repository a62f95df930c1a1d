"""The seed's world as demo data: departments, people and roles (later issues add processes, runs...).

Every loader is idempotent: it creates what is missing and saves a row only when a value differs, so
running ``loaddemo`` twice changes nothing (not even the audit trail).
"""

from django.contrib.auth.models import Group

from .choices import Role
from .models import Department, User

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


LOADERS = [load_organisation]


def load_all():
    for loader in LOADERS:
        loader()
