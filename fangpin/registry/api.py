"""The registry's REST API: households, persons, incomes. Scoped and validated exactly like the web pages."""

from rest_framework import serializers

from fangpin.core.api import PersonalDataField, ScopedSlugRelatedField, ScopedViewSet
from fangpin.geo.models import Region
from fangpin.registry import services
from fangpin.registry.choices import Health
from fangpin.registry.filters import HouseholdFilterSet, HouseholdIncomeFilterSet, PersonFilterSet
from fangpin.registry.models import (
    HOUSEHOLD_DATA_FIELDS,
    PERSON_DATA_FIELDS,
    Household,
    HouseholdIncome,
    Person,
)


class HouseholdSerializer(serializers.ModelSerializer):
    region = ScopedSlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        extra_filter={"level": "village"},
        label="所在村（区划代码）",
        error_messages={
            "does_not_exist": "区划代码“{value}”不存在或不在您的管辖范围内",
            "invalid": "区划代码无效",
        },
    )
    phone = PersonalDataField(
        kind="phone", label="户联系电话", required=False, allow_blank=True, max_length=30
    )

    class Meta:
        model = Household
        fields = [
            "id",
            *HOUSEHOLD_DATA_FIELDS,
            "status",
            "member_count",
            "head_name",
            "income_year",
            "per_capita_income",
        ]
        read_only_fields = ["status", "member_count", "head_name", "income_year", "per_capita_income"]

    def validate_number(self, value):
        if self.instance is not None and value != self.instance.number:
            raise serializers.ValidationError("户编号不能修改")
        return value


class PersonSerializer(serializers.ModelSerializer):
    household = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.all(),
        label="所属户",
        error_messages={"does_not_exist": "农户“{pk_value}”不存在"},
    )
    id_number = PersonalDataField(kind="id_number", label="身份证号码", max_length=40)
    health = serializers.MultipleChoiceField(choices=Health.choices, label="健康状况", required=False)

    class Meta:
        model = Person
        fields = ["id", "household", "sex", "birth_date", "health", *PERSON_DATA_FIELDS]
        read_only_fields = ["sex", "birth_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["household"].queryset = Household.objects.visible_to(request.user)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["health"] = instance.health
        return data

    def validate(self, attrs):
        health = attrs.pop("health", None)
        if health is not None:
            probe = Person()
            try:
                probe.health = list(health)
            except Exception as exc:  # the model's own message
                raise serializers.ValidationError({"health": exc.messages}) from None
            attrs.update(
                chronic_disease=probe.chronic_disease,
                serious_illness=probe.serious_illness,
                disabled=probe.disabled,
            )
        return attrs


class HouseholdIncomeSerializer(serializers.ModelSerializer):
    household = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.all(),
        label="所属户",
        error_messages={"does_not_exist": "农户“{pk_value}”不存在"},
    )

    class Meta:
        model = HouseholdIncome
        fields = [
            "id",
            "household",
            "year",
            "wage",
            "business",
            "property",
            "transfer",
            "business_cost",
            "claims_income",
            "compliant_out_of_pocket",
            "net_income",
            "household_size",
            "per_capita_net_income",
        ]
        read_only_fields = ["net_income", "household_size", "per_capita_net_income"]
        validators = []  # (household, year) uniqueness is checked by the model with a Chinese message

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["household"].queryset = Household.objects.visible_to(request.user)


class HouseholdViewSet(ScopedViewSet):
    """农户. `?format=xlsx` exports the filtered list."""

    model = Household
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilterSet
    service = staticmethod(services.save_household)
    export_permission = "registry.export_household"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("region")


class PersonViewSet(ScopedViewSet):
    """家庭成员. Sex and birth date are derived from the ID number."""

    model = Person
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    service = staticmethod(services.save_person)
    delete_service = staticmethod(services.delete_person)
    export_permission = "registry.export_household"


class HouseholdIncomeViewSet(ScopedViewSet):
    """家庭年度收入. Net and per-capita income are computed."""

    model = HouseholdIncome
    serializer_class = HouseholdIncomeSerializer
    filterset_class = HouseholdIncomeFilterSet
    service = staticmethod(services.save_income)
    delete_service = staticmethod(services.delete_income)
    export_permission = "registry.export_household"
