"""Account writes that matter: creating a user with a role in a region."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from fangpin.accounts.models import Department, User
from fangpin.accounts.roles import ROLES, assign_role
from fangpin.geo.models import Region


def create_user(
    username: str, *, role: str, region_code: str, password: str, department: str = "", display_name: str = ""
) -> User:
    """Create a user with one role in one region, or raise ValidationError with a Chinese reason."""
    if role not in ROLES:
        raise ValidationError({"role": f"角色“{role}”不存在，可选：{', '.join(ROLES)}"})
    spec = ROLES[role]
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError({"region": f"区划代码“{region_code}”不存在"})
    if region.level not in spec.levels:
        levels = "、".join(Region.Level(level).label for level in spec.levels)
        raise ValidationError(
            {"region": f"{spec.label}应属于{levels}级区划，“{region.name}”是{region.get_level_display()}"}
        )
    if role == "department":
        if department not in Department.values:
            raise ValidationError(
                {"department": f"行业部门用户须指定部门，可选：{', '.join(Department.values)}"}
            )
    elif department:
        raise ValidationError({"department": "只有行业部门用户需要指定部门"})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"用户名“{username}”已存在"})
    if len(password) < 8:
        raise ValidationError({"password": "密码至少8位"})
    with transaction.atomic():
        user = User(username=username, region=region, department=department, display_name=display_name)
        user.set_password(password)
        user.save()
        assign_role(user, role)
    return user
