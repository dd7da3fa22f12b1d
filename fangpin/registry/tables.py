import django_tables2 as tables

from fangpin.core.tables import PersonalDataColumn, ScopedTable
from fangpin.registry.models import Household, Person


class HouseholdTable(ScopedTable):
    number = tables.Column(linkify=True, verbose_name="户编号")
    head_name = tables.Column(verbose_name="户主姓名")
    township = tables.Column(accessor="region__parent__name", verbose_name="乡镇", orderable=False)
    region = tables.Column(accessor="region__name", verbose_name="村", order_by=("region__code", "number"))
    phone = PersonalDataColumn(kind="phone", verbose_name="户联系电话", orderable=False)

    class Meta:
        model = Household
        fields = [
            "number",
            "head_name",
            "township",
            "region",
            "household_type",
            "member_count",
            "per_capita_income",
            "income_year",
            "housing_grade",
            "phone",
            "status",
        ]
        attrs = {"class": "table"}
        empty_text = "没有符合条件的农户"


class PersonTable(ScopedTable):
    name = tables.Column(linkify=lambda record: record.household.get_absolute_url(), verbose_name="姓名")
    id_number = PersonalDataColumn(kind="id_number", verbose_name="身份证号码")
    household = tables.Column(
        accessor="household__number",
        verbose_name="户编号",
        linkify=lambda record: record.household.get_absolute_url(),
    )
    village = tables.Column(accessor="household__region__name", verbose_name="村", orderable=False)
    health = tables.Column(accessor="health_display", verbose_name="健康状况", orderable=False)

    class Meta:
        model = Person
        fields = [
            "name",
            "id_number",
            "sex",
            "birth_date",
            "relation",
            "household",
            "village",
            "labour_skill",
            "health",
        ]
        attrs = {"class": "table"}
        empty_text = "没有符合条件的人员"
