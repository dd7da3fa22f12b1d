"""Every registry write that matters, as one atomic function with the acting user last.

Views and API viewsets only parse, authorise, call these and render. Each function validates with the model's
own rules, saves inside the user's scope (core.scoping.save_in_scope) and keeps the household summary fresh;
the change log is written by core.changelog's signals under the caller's context.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from fangpin.core.changelog import acting
from fangpin.core.scoping import save_in_scope
from fangpin.registry.choices import Relation
from fangpin.registry.models import Household, HouseholdIncome, Person


def _require(user: Any, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied("您的角色没有此操作权限")


def save_household(household: Household, *, user: Any) -> Household:
    """Create or update a household; refused (and rolled back) if it would land outside the user's region."""
    _require(user, "registry.change_household" if household.pk else "registry.add_household")
    household.full_clean()
    save_in_scope(household, user)
    return household


def save_person(person: Person, *, user: Any) -> Person:
    """Create or update a member, re-checking the household-level rules (one head, one spouse, sexes)."""
    _require(user, "registry.change_person" if person.pk else "registry.add_person")
    previous_household_id = None
    if person.pk:
        previous_household_id = (
            Person._base_manager.filter(pk=person.pk).values_list("household_id", flat=True).first()
        )
    with transaction.atomic(), acting(user):
        # Lock the household row so two clerks adding a head at once cannot both pass the one-head check.
        Household._base_manager.select_for_update().filter(pk=person.household_id).first()
        person.full_clean()
        save_in_scope(person, user)
        person.household.refresh_summary()
        if previous_household_id and previous_household_id != person.household_id:
            Household._base_manager.get(pk=previous_household_id).refresh_summary()
    return person


def delete_person(person: Person, *, user: Any) -> None:
    """Remove a member (moved out, deceased, registered by mistake). The head goes last."""
    _require(user, "registry.delete_person")
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied("记录不存在")
    household = person.household
    if person.relation == Relation.HEAD and household.members.exclude(pk=person.pk).exists():
        raise ValidationError({"relation": "请先把其他成员改为新的户主，再删除原户主"})
    with transaction.atomic(), acting(user):
        person.delete()
        household.refresh_summary()


def save_income(income: HouseholdIncome, *, user: Any) -> HouseholdIncome:
    """Create or update a year's income; net and per-capita income are computed, never typed."""
    _require(user, "registry.change_householdincome" if income.pk else "registry.add_householdincome")
    with transaction.atomic(), acting(user):
        income.full_clean()
        save_in_scope(income, user)
        income.household.refresh_summary()
    return income


def delete_income(income: HouseholdIncome, *, user: Any) -> None:
    _require(user, "registry.delete_householdincome")
    if not HouseholdIncome.objects.visible_to(user).filter(pk=income.pk).exists():
        raise PermissionDenied("记录不存在")
    household = income.household
    with transaction.atomic(), acting(user):
        income.delete()
        household.refresh_summary()


def cancel_household(household: Household, *, user: Any, reason: str) -> Household:
    """注销: the household left the registry (all members deceased or moved away). Kept, never deleted."""
    return Household.WORKFLOW.apply(household, "cancel", user=user, comment=reason)


def restore_household(household: Household, *, user: Any, reason: str) -> Household:
    return Household.WORKFLOW.apply(household, "restore", user=user, comment=reason)


def household_history(household: Household):
    """Every logged change to the household, its members and its incomes, newest first."""
    from django.contrib.contenttypes.models import ContentType

    from fangpin.core.models import ObjectChange

    return ObjectChange.objects.filter(
        related_type=ContentType.objects.get_for_model(Household), related_id=household.pk
    ).select_related("content_type")


def household_problems(household: Household) -> list[str]:
    """Household-level consistency problems to show on its page (the per-row rules refuse bad rows at entry)."""
    problems = []
    relations = list(household.members.values_list("relation", flat=True))
    if relations and Relation.HEAD not in relations:
        problems.append("该户没有户主")
    if household.household_type == "exited" and household.members.filter(critical_illness=False).exists():
        problems.append("脱贫户有成员未参加大病保险")
    if household.housing_unsafe:
        problems.append(f"住房为{household.get_housing_grade_display()}，住房安全无保障")
    if household.water_safe is False:
        problems.append("饮水安全未达标")
    return problems


def region_summary(user: Any) -> dict[str, Any]:
    """The counts on a user's home page, all within their region."""
    from django.db.models import Count, Q

    from fangpin.core.scoping import user_region

    households = Household.objects.visible_to(user).filter(status=Household.Status.ACTIVE)
    totals = households.aggregate(
        households=Count("id"),
        exited=Count("id", filter=Q(household_type="exited")),
        unsafe_housing=Count("id", filter=Q(housing_grade__in=["C", "D"])),
        persons=Coalesce(Sum("member_count"), 0),
    )
    return {"region": user_region(user), **totals}
