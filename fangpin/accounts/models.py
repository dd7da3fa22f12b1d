from django.contrib.auth.models import AbstractUser
from django.db import models

from fangpin.core.changelog import ChangeLoggedModel


class Department(models.TextChoices):
    """Departments that deliver data and act on warnings (seed §13: the linkage platform)."""

    CIVIL_AFFAIRS = "civil_affairs", "民政"
    HUMAN_RESOURCES = "human_resources", "人社"
    MEDICAL_INSURANCE = "medical_insurance", "医保"
    EDUCATION = "education", "教育"
    HOUSING = "housing", "住建"
    WATER = "water", "水利"
    DISABLED_FEDERATION = "disabled_federation", "残联"
    PUBLIC_SECURITY = "public_security", "公安"
    MARKET_REGULATION = "market_regulation", "市场监管"
    FINANCE = "finance", "财政"
    HEALTH = "health", "卫健"
    AGRICULTURE = "agriculture", "农业农村"
    INSURER = "insurer", "防贫保承保机构"
    ORGANIZATION = "organization", "组织部"


class User(ChangeLoggedModel, AbstractUser):
    """A person who works in fangpin: belongs to one region (what they may see) and has one or more roles
    (Django groups: what they may do). Department users also name their department."""

    changelog_exclude = ("last_login", "password", "created_at", "updated_at")

    region = models.ForeignKey(
        "geo.Region",
        verbose_name="所属区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    department = models.CharField("所属部门", max_length=30, choices=Department.choices, blank=True)
    display_name = models.CharField("姓名", max_length=50, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_codes(self) -> list[str]:
        from fangpin.accounts.roles import ROLES

        names = {g.name for g in self.groups.all()}
        return [code for code, role in ROLES.items() if role.group_name in names]

    @property
    def role_labels(self) -> str:
        from django.utils.translation import gettext as _

        from fangpin.accounts.roles import ROLES

        # The role names are Chinese msgids of the English catalogue (core.translations).
        return "、".join(_(ROLES[c].label) for c in self.role_codes) or (
            _("系统管理员") if self.is_superuser else ""
        )

    @property
    def sees_personal_data(self) -> bool:
        return self.has_perm("registry.view_personal_data")
