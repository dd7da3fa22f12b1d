import django_tables2 as tables

from fangpin.core.tables import ScopedTable
from fangpin.monitoring.models import PolicyParameter, ScreeningRun, Warning


class WarningTable(ScopedTable):
    rule_code = tables.Column(linkify=True, verbose_name="规则")
    rule_title = tables.Column(verbose_name="规则名称")
    household = tables.Column(
        accessor="household__number",
        verbose_name="户编号",
        linkify=lambda record: record.household.get_absolute_url(),
    )
    village = tables.Column(accessor="household__region__name", verbose_name="村", orderable=False)
    person = tables.Column(accessor="person__name", verbose_name="人员", default="（户）", orderable=False)
    explanation = tables.Column(verbose_name="说明", orderable=False)

    class Meta:
        model = Warning
        fields = [
            "rule_code",
            "rule_title",
            "produces",
            "severity",
            "household",
            "village",
            "person",
            "explanation",
            "status",
            "as_of",
            "last_seen_at",
        ]
        attrs = {"class": "table"}
        empty_text = "没有符合条件的预警"


class RunTable(ScopedTable):
    id = tables.Column(linkify=True, verbose_name="批次")
    region = tables.Column(accessor="region__name", verbose_name="范围")

    class Meta:
        model = ScreeningRun
        fields = ["id", "kind", "region", "as_of", "engine", "status", "message", "created_at", "finished_at"]
        attrs = {"class": "table"}
        empty_text = "还没有筛查批次"


class ParameterTable(ScopedTable):
    key = tables.Column(verbose_name="参数")
    title = tables.Column(empty_values=(), verbose_name="名称", orderable=False)
    region = tables.Column(accessor="region__name", verbose_name="适用区划")
    edit = tables.Column(empty_values=(), verbose_name="", orderable=False, accessor="pk")

    class Meta:
        model = PolicyParameter
        fields = ["key", "title", "region", "effective_from", "value", "tag", "source"]
        attrs = {"class": "table"}
        empty_text = "没有政策参数"

    def render_edit(self, record):
        # Values set above the user's region (the province's line) are read-only for them: no link.
        from django.urls import reverse
        from django.utils.html import format_html

        from fangpin.monitoring.models import PolicyParameter

        if not PolicyParameter.objects.visible_to(self.user).filter(pk=record.pk).exists():
            return "—"
        return format_html('<a href="{}">修改</a>', reverse("monitoring:parameter_edit", args=[record.pk]))

    def render_title(self, record):
        from fangpin.monitoring.services import parameter_catalogue

        entry = parameter_catalogue().get(record.key)
        return f"{entry['title']}（{entry['unit']}）" if entry else "（规则未使用）"
