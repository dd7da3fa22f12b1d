from __future__ import annotations

from django.db import models

from fangpin.core.changelog import ChangeLoggedModel
from fangpin.core.scoping import ScopedModel, ScopedQuerySet, subtree_bounds


class RegionQuerySet(ScopedQuerySet):
    def subtree(self, region: Region) -> RegionQuerySet:
        """`region` and everything below it."""
        low, high = subtree_bounds(region.path)
        return self.filter(path__gte=low, path__lt=high)


class Region(ChangeLoggedModel, ScopedModel):
    """An administrative division (GB/T 2260 / statistical division code): province down to natural village.

    `path` is the code's significant prefix (42 → 4212 → 421223 → 421223100 → 421223100201), so the codes of a
    subtree share it and a subtree query is one range scan.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        COUNTY = "county", "县（市、区）"
        TOWNSHIP = "township", "乡（镇、街道）"
        VILLAGE = "village", "村（社区）"
        GROUP = "group", "自然村（组）"

    PATH_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12, "group": 15}
    CODE_LENGTH = {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12, "group": 15}

    scope_field = "self"
    objects = RegionQuerySet.as_manager()

    code = models.CharField("区划代码", max_length=15, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    kind = models.CharField(
        "类型", max_length=20, blank=True, help_text="区/县/县级市、街道/镇/乡/农场/开发区、村/社区"
    )
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField("路径", max_length=15, db_index=True)
    is_poor_county = models.BooleanField("曾为贫困县", default=False)
    poverty_exit_date = models.DateField("摘帽/出列日期", null=True, blank=True)
    is_poor_village = models.BooleanField("曾为贫困村", default=False)
    is_synthetic = models.BooleanField("合成数据", default=False)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = self.code[: self.PATH_LENGTH[self.level]]
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        """咸宁市崇阳县白霓镇大坪村: names from the city down."""
        names, node = [], self
        while node is not None and node.level != self.Level.PROVINCE:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))

    def ancestors(self) -> list[Region]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))
