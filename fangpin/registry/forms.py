from django import forms

from fangpin.geo.models import Region
from fangpin.registry.choices import Health
from fangpin.registry.models import (
    HOUSEHOLD_DATA_FIELDS,
    PERSON_DATA_FIELDS,
    Household,
    HouseholdIncome,
    Person,
)


class ScopedModelForm(forms.ModelForm):
    """A model form whose choices are limited to what the user may see (regions, households)."""

    label_suffix = ""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            choices = getattr(field, "choices", None)
            if isinstance(field, forms.ChoiceField) and choices and list(choices)[0][0] in ("", None):
                field.choices = [("", "（未填）"), *list(choices)[1:]]


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name if obj.parent else ''} {obj.name}（{obj.code}）"


class HouseholdForm(ScopedModelForm):
    region = VillageChoiceField(
        label="所在村",
        queryset=Region.objects.none(),
        error_messages={"invalid_choice": "所选村不存在或不在您的管辖范围内"},
    )

    class Meta:
        model = Household
        fields = list(HOUSEHOLD_DATA_FIELDS)
        widgets = {
            f: forms.NullBooleanSelect
            for f in ("water_quantity_ok", "water_quality_ok", "water_convenience_ok", "water_reliability_ok")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (
            Region.objects.visible_to(self.user).filter(level=Region.Level.VILLAGE).select_related("parent")
        )
        if self.instance.pk:
            self.fields["number"].disabled = True  # the national household number never changes


class PersonForm(ScopedModelForm):
    health = forms.MultipleChoiceField(
        label="健康状况",
        choices=Health.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请选择健康状况"},
    )

    class Meta:
        model = Person
        fields = list(PERSON_DATA_FIELDS)

    field_order = [
        "id_number",
        "name",
        "relation",
        "ethnicity",
        "political_status",
        "education",
        "student_status",
        "health",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["health"].initial = self.instance.health if self.instance.pk else [Health.HEALTHY]

    def clean(self):
        data = super().clean()
        if "health" in data:
            try:
                self.instance.health = data["health"]
            except forms.ValidationError as exc:
                self.add_error("health", exc.messages[0])
        return data


class HouseholdIncomeForm(ScopedModelForm):
    class Meta:
        model = HouseholdIncome
        fields = [
            "year",
            "wage",
            "business",
            "property",
            "transfer",
            "business_cost",
            "claims_income",
            "compliant_out_of_pocket",
        ]
