"""Tables of the clue pages. A clue's people are shown (and exported) whole only to roles with
supervision.view_clue_personal_data: the registry's own permission does not open a clue's ID numbers."""

import django_tables2 as tables

from fangpin.core.tables import ScopedTable
from fangpin.core.validators import mask_id_number
from fangpin.monitoring.models import Warning
from fangpin.supervision.models import Clue
from fangpin.supervision.services import clues

CLUE_PERSONAL_DATA = "supervision.view_clue_personal_data"


def sees_clue_personal_data(user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.has_perm(CLUE_PERSONAL_DATA))


def clue_id_number(value: str, user) -> str:
    """An ID number as `user` may see it in the clue pages."""
    if not value or sees_clue_personal_data(user):
        return value or ""
    return mask_id_number(value)


class ClueIdColumn(tables.Column):
    def render(self, value, table, **kwargs):
        return clue_id_number(value, table.user)

    def value(self, value, table, **kwargs):
        return clue_id_number(value, table.user)


class ClueTable(ScopedTable):
    number = tables.Column(verbose_name="线索编号", linkify=True)
    place = tables.Column(accessor="region__name", verbose_name="问题所在地", orderable=False)
    unit = tables.Column(accessor="unit_name", verbose_name="承办单位", orderable=False)
    household = tables.Column(accessor="household__number", verbose_name="户编号", orderable=False)
    head = tables.Column(accessor="household__head_name", verbose_name="户主", orderable=False)
    person = tables.Column(accessor="person__name", verbose_name="涉及人员", orderable=False)
    person_id = ClueIdColumn(accessor="person__id_number", verbose_name="身份证号", orderable=False)
    batch = tables.Column(accessor="batch__title", verbose_name="交办批次", orderable=False)
    overdue = tables.Column(verbose_name="逾期天数", empty_values=(), orderable=False)

    class Meta:
        model = Clue
        fields = [
            "number",
            "title",
            "source",
            "rule_code",
            "status",
            "place",
            "unit",
            "household",
            "head",
            "person",
            "person_id",
            "amount_involved",
            "batch",
            "lead_official",
            "deadline",
            "overdue",
            "classification",
            "funds_recovered",
            "persons_accountable",
            "closed_on",
            "created_at",
        ]
        attrs = {"class": "table"}
        empty_text = "没有符合条件的问题线索"

    def render_overdue(self, record):
        days = clues.overdue(record, clues.today())
        return f"{days} 天" if days else "—"

    def value_overdue(self, record):
        return clues.overdue(record, clues.today())


class CluePickTable(ClueTable):
    """Generated clues with a box per row for the batch form (HTML `form` attribute: the filter form is
    untouched)."""

    pick = tables.CheckBoxColumn(
        accessor="pk",
        verbose_name="选择",
        attrs={"input": {"form": "batch-form", "name": "clue"}, "th__input": {"hidden": True}},
    )

    class Meta(ClueTable.Meta):
        sequence = ("pick", "...")
        exclude = ("status", "batch", "lead_official", "deadline", "overdue", "classification",
                   "funds_recovered", "persons_accountable", "closed_on")  # fmt: skip


class ClueWarningTable(ScopedTable):
    """Comparison hits that wait to become clues, with a box per row."""

    pick = tables.CheckBoxColumn(
        accessor="pk",
        verbose_name="选择",
        attrs={"input": {"form": "generate-form", "name": "warning"}, "th__input": {"hidden": True}},
    )
    rule_code = tables.Column(verbose_name="规则", linkify=True)
    household = tables.Column(accessor="household__number", verbose_name="户编号")
    head = tables.Column(accessor="household__head_name", verbose_name="户主", orderable=False)
    village = tables.Column(accessor="household__region__name", verbose_name="村", orderable=False)
    person = tables.Column(accessor="person__name", verbose_name="涉及人员", orderable=False)

    class Meta:
        model = Warning
        fields = ["pick", "rule_code", "rule_title", "severity", "household", "head", "village", "person",
                  "explanation", "as_of"]  # fmt: skip
        attrs = {"class": "table"}
        empty_text = "没有待生成问题线索的比对结果"
