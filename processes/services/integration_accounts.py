"""Integration accounts: the user accounts another system uses to report events for other people.

A manager lets an account report for departments of their scope, an administrator for any; each
keeps the departments granted by someone else that they cannot see. Removing every department
ends the account's right to name anyone but itself.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import access
from ..models import Department, IntegrationAccount, User


def integration_account_list(*, user):
    """The accounts ``user`` may see and change: those that report for a department of their scope or
    whose person works in it (administrators: all)."""
    qs = IntegrationAccount.objects.select_related("user", "user__department", "updated_by").prefetch_related(
        "departments"
    )
    if not access.can_manage_integration_accounts(user, any_department=True):
        return qs.none()
    scope = access.department_scope(user)
    if scope is None:
        return qs.order_by("user__username")
    from django.db.models import Q

    return qs.filter(Q(departments__in=scope) | Q(user__department__in=scope)).distinct().order_by("user__username")


def integration_account_candidates(*, user):
    """Who ``user`` may make an integration account: active people of their scope (administrators: all)."""
    if not access.can_manage_integration_accounts(user, any_department=True):
        return User.objects.none()
    qs = User.objects.filter(is_active=True).order_by("username")
    scope = access.department_scope(user)
    return qs if scope is None else qs.filter(department__in=scope)


def integration_account_departments(*, user):
    """The departments ``user`` may let an account report for."""
    qs = Department.objects.order_by("code")
    if not access.can_manage_integration_accounts(user, any_department=True):
        return qs.none()
    scope = access.department_scope(user)
    return qs if scope is None else qs.filter(pk__in=scope)


def reporting_departments(user) -> frozenset[int] | None:
    """The departments (with those below them) whose people ``user`` may name as actors of reported
    steps; ``None`` when ``user`` is no integration account (they report only their own steps)."""
    account = IntegrationAccount.objects.filter(user_id=user.pk).first()
    if account is None:
        return None
    roots = list(account.departments.values_list("pk", flat=True))
    return frozenset(access.departments_under(roots))


@transaction.atomic
def integration_account_save(*, user, account_user: User, departments) -> IntegrationAccount | None:
    """Let ``account_user`` report for ``departments`` (those ``user`` may grant; the ones granted by
    others outside ``user``'s scope stay). With no department left the account is removed (``None``)."""
    if not access.can_manage_integration_accounts(user, any_department=True):
        raise PermissionDenied(_("Your role or department does not allow this."))
    if not integration_account_candidates(user=user).filter(pk=account_user.pk).exists():
        raise ValidationError({"account": [_("No active person of your departments has this username.")]})
    allowed = set(integration_account_departments(user=user).values_list("pk", flat=True))
    chosen = {department.pk for department in departments}
    if chosen - allowed:
        raise ValidationError({"departments": [_("No department of your scope has this code.")]})
    account = IntegrationAccount.objects.select_for_update().filter(user=account_user).first()
    kept = set()
    if account is not None:
        kept = set(account.departments.values_list("pk", flat=True)) - allowed
    final = chosen | kept
    if not final:
        if account is not None:
            account.delete()
        return None
    if account is None:
        account = IntegrationAccount(user=account_user)
    account.updated_by = user
    account.full_clean()
    account.save()
    account.departments.set(final)
    return account


@transaction.atomic
def integration_account_remove(*, user, account: IntegrationAccount) -> None:
    """Take back the departments ``user`` may grant; the account goes when none is left."""
    integration_account_save(user=user, account_user=account.user, departments=[])
