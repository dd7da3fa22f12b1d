"""FilterSets shared by the web lists, the API and the exports."""

import django_filters
from django.db.models import Exists, OuterRef, Q

from fangpin.core.scoping import subtree_bounds
from fangpin.core.validators import normalize_digits
from fangpin.geo.models import Region
from fangpin.registry.choices import Health, HouseholdType, HousingGrade, LabourSkill, Relation, Sex
from fangpin.registry.models import Household, HouseholdIncome, Person

HEALTH_FLAGS = {
    Health.CHRONIC: "chronic_disease",
    Health.SERIOUS_ILLNESS: "serious_illness",
    Health.DISABLED: "disabled",
}


def region_subtree_q(field: str, code: str, user) -> Q | None:
    """Rows under the region `code`, if the user may see that region; None if they may not."""
    region = Region.objects.visible_to(user).filter(code=code).first()
    if region is None:
        return None
    low, high = subtree_bounds(region.path)
    return Q(**{f"{field}__path__gte": low, f"{field}__path__lt": high})


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet whose region choices are the user's own subtree (codes as values, indented names)."""

    region_field = "region"

    region = django_filters.ChoiceFilter(label="区划", method="filter_region", choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["region"].extra["choices"] = region_choices(getattr(self.request, "user", None))

    def filter_region(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        condition = region_subtree_q(self.region_field, value.strip(), user)
        return queryset.filter(condition) if condition is not None else queryset.none()


def region_choices(user) -> list[tuple[str, str]]:
    """The regions a user may filter by: their subtree, down to villages (to townships for city-wide users,
    whose village list would run to thousands)."""
    if user is None or not user.is_authenticated:
        return []
    regions = Region.objects.visible_to(user).exclude(level__in=["province", "group"])
    own = getattr(user, "region", None)
    if own is None or own.level in ("province", "city"):
        regions = regions.exclude(level="village")
    indent = {"city": 0, "county": 1, "township": 2, "village": 3}
    return [
        (code, "　" * indent.get(level, 0) + name)
        for code, name, level in regions.order_by("path").values_list("code", "name", "level")
    ]


def _looks_like_id(text: str) -> bool:
    return len(text) in (15, 18) and text[:-1].isdigit()


class HouseholdFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(label="搜索", method="search", help_text="姓名、身份证号码或户编号")
    household_type = django_filters.ChoiceFilter(label="户类型", choices=HouseholdType.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=Household.Status.choices)
    income_below = django_filters.NumberFilter(
        label="人均纯收入低于（元）", field_name="per_capita_income", lookup_expr="lt"
    )
    housing_grade = django_filters.MultipleChoiceFilter(label="危房等级", choices=HousingGrade.choices)
    health = django_filters.ChoiceFilter(
        label="有成员健康状况为",
        choices=[(c, label) for c, label in Health.choices if c != Health.HEALTHY],
        method="filter_health",
    )
    labour_skill = django_filters.ChoiceFilter(
        label="有成员劳动技能为", choices=LabourSkill.choices, method="filter_labour"
    )

    class Meta:
        model = Household
        fields = [
            "q",
            "region",
            "household_type",
            "status",
            "income_below",
            "housing_grade",
            "health",
            "labour_skill",
        ]

    def search(self, queryset, name, value):
        # Members are looked up through Person's indexes (id_number unique, name indexed) and the households
        # found by id, so a rare name does not scan every household. The head is a member too.
        text = normalize_digits(value)
        if not text:
            return queryset
        if _looks_like_id(text):
            return queryset.filter(pk__in=Person.objects.filter(id_number=text).values("household_id"))
        if text.isdigit():
            return queryset.filter(number__startswith=text)
        return queryset.filter(pk__in=Person.objects.filter(name=value.strip()).values("household_id"))

    def filter_health(self, queryset, name, value):
        flag = HEALTH_FLAGS[value]
        return queryset.filter(Exists(Person.objects.filter(household=OuterRef("pk"), **{flag: True})))

    def filter_labour(self, queryset, name, value):
        return queryset.filter(Exists(Person.objects.filter(household=OuterRef("pk"), labour_skill=value)))


class PersonFilterSet(ScopedFilterSet):
    region_field = "household__region"

    q = django_filters.CharFilter(label="搜索", method="search", help_text="姓名或身份证号码")
    household = django_filters.NumberFilter(label="所属户（编号）", field_name="household_id")
    sex = django_filters.ChoiceFilter(label="性别", choices=Sex.choices)
    relation = django_filters.ChoiceFilter(label="与户主关系", choices=Relation.choices)
    labour_skill = django_filters.ChoiceFilter(label="劳动技能", choices=LabourSkill.choices)
    health = django_filters.ChoiceFilter(label="健康状况", choices=Health.choices, method="filter_health")

    class Meta:
        model = Person
        fields = ["q", "region", "household", "sex", "relation", "labour_skill", "health"]

    def search(self, queryset, name, value):
        text = normalize_digits(value)
        if not text:
            return queryset
        if _looks_like_id(text):
            return queryset.filter(id_number=text)
        return queryset.filter(name=value.strip())

    def filter_health(self, queryset, name, value):
        if value == Health.HEALTHY:
            return queryset.filter(chronic_disease=False, serious_illness=False, disabled=False)
        return queryset.filter(**{HEALTH_FLAGS[value]: True})


class HouseholdIncomeFilterSet(ScopedFilterSet):
    region_field = "household__region"

    household = django_filters.NumberFilter(label="所属户（编号）", field_name="household_id")
    year = django_filters.NumberFilter(label="年度")

    class Meta:
        model = HouseholdIncome
        fields = ["region", "household", "year"]


__all__ = ["HouseholdFilterSet", "PersonFilterSet", "HouseholdIncomeFilterSet"]
