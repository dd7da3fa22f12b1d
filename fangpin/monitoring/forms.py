import datetime as dt

from django import forms
from django.utils import timezone

from fangpin.geo.models import Region
from fangpin.monitoring.models import PolicyParameter
from fangpin.screening.rules import builtin_set_names


def _scope_regions(user, levels):
    return Region.objects.visible_to(user).filter(level__in=levels).order_by("path")


class RunForm(forms.Form):
    region = forms.ModelChoiceField(label="筛查范围", queryset=Region.objects.none())
    as_of = forms.DateField(label="筛查基准日", initial=timezone.localdate)
    rule_sets = forms.MultipleChoiceField(
        label="规则集", choices=[], widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _scope_regions(user, ("province", "city", "county", "township"))
        names = builtin_set_names()
        labels = {"monitoring": "动态监测预警", "quality": "数据质量校验", "comparison": "大数据比对"}
        self.fields["rule_sets"].choices = [(n, labels.get(n, n)) for n in names]
        self.fields["rule_sets"].initial = names


class ParameterForm(forms.ModelForm):
    key = forms.ChoiceField(label="参数")

    class Meta:
        model = PolicyParameter
        fields = ["key", "region", "effective_from", "value", "tag", "source"]

    def __init__(self, *args, user=None, **kwargs):
        from fangpin.monitoring.services import parameter_catalogue

        super().__init__(*args, **kwargs)
        catalogue = parameter_catalogue()
        self.fields["key"].choices = [
            (k, f"{k} — {v['title']}（{v['unit']}）") for k, v in sorted(catalogue.items())
        ]
        self.fields["region"].queryset = _scope_regions(user, ("province", "city", "county"))


class PreviewForm(forms.Form):
    region = forms.ModelChoiceField(label="范围", queryset=Region.objects.none())
    as_of = forms.DateField(label="筛查基准日", initial=timezone.localdate)
    rules_file = forms.FileField(label="新的规则文件（YAML，可不选）", required=False)
    overrides = forms.CharField(
        label="改用的参数取值（每行 参数=取值，可不填）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "monitoring_line=9000"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _scope_regions(user, ("city", "county", "township", "village"))

    def clean_overrides(self):
        from fangpin.monitoring.services import parameter_catalogue
        from fangpin.screening.compiler import coerce

        catalogue = parameter_catalogue()
        out = {}
        for number, line in enumerate(self.cleaned_data["overrides"].splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or key not in catalogue:
                raise forms.ValidationError(
                    f"第 {number} 行：“{line.strip()}”应为 参数=取值，参数须是规则声明过的参数"
                )
            try:
                coerce(value, catalogue[key]["type"])
            except ValueError as exc:
                raise forms.ValidationError(f"第 {number} 行：参数 {key} 的取值“{value}”无效") from exc
            out[key] = value
        return out

    def clean_rules_file(self):
        from fangpin.screening.compiler import Compiler
        from fangpin.screening.rules import RuleSetInvalid, load_text

        upload = self.cleaned_data.get("rules_file")
        if not upload:
            return None
        if upload.size > 1024 * 1024:
            raise forms.ValidationError("规则文件不能超过 1 MB")
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("规则文件应为 UTF-8 编码的 YAML 文本") from exc
        try:
            rule_set = load_text(text, source=upload.name)
        except RuleSetInvalid as exc:
            raise forms.ValidationError([str(e) for e in exc.errors]) from exc
        from fangpin.monitoring.services import builtin_rule_sets

        others = [rs for rs in builtin_rule_sets() if rs.name != rule_set.name]
        errors = Compiler([*others, rule_set]).errors
        if errors:
            raise forms.ValidationError([str(e) for e in errors])
        return rule_set


def default_as_of() -> dt.date:
    return timezone.localdate()
