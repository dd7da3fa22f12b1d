"""Tables of the monitoring-case pages, and the warning list with a column to pick warnings for clues."""

import django_tables2 as tables

from fangpin.core.tables import ScopedTable
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.tables import WarningTable


class MonitoringCaseTable(ScopedTable):
    id = tables.Column(verbose_name="编号", linkify=True)
    household = tables.Column(
        accessor="household__number",
        verbose_name="户编号",
        linkify=lambda record: record.household.get_absolute_url(),
    )
    head = tables.Column(accessor="household__head_name", verbose_name="户主", orderable=False)
    village = tables.Column(accessor="household__region__name", verbose_name="村", orderable=False)
    risks = tables.Column(verbose_name="致贫返贫风险", orderable=False)
    cadre = tables.Column(verbose_name="帮扶责任人", orderable=False)

    class Meta:
        model = MonitoringCase
        fields = [
            "id",
            "household",
            "head",
            "village",
            "status",
            "category",
            "risks",
            "channel",
            "risk_tier",
            "cadre",
            "identified_month",
            "updated_at",
        ]
        attrs = {"class": "table"}
        empty_text = "没有符合条件的监测对象"

    def render_risks(self, record):
        return "、".join(record.risk_labels) or "—"

    def value_risks(self, record):
        return "、".join(record.risk_labels)


class WarningPickTable(WarningTable):
    """The warning list with a check box per row, for officials who may turn warnings into clues. The boxes
    belong to the bulk form below the table (HTML `form` attribute), so the list's filter form is untouched."""

    pick = tables.CheckBoxColumn(
        accessor="pk",
        verbose_name="选择",
        exclude_from_export=True,
        attrs={"input": {"form": "clue-form", "name": "warning"}, "th__input": {"hidden": True}},
    )

    class Meta(WarningTable.Meta):
        sequence = ("pick", "...")
