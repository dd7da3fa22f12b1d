"""Forms of the monitoring-case pages. They only parse input: every rule (max five risks, the category against
the household type, notice periods, elimination criteria …) is enforced by the services, whose Chinese reasons
the pages show."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from fangpin.assistance.choices import SUBTYPES, MeasureCategory
from fangpin.assistance.models import AssistanceMeasure
from fangpin.geo.models import Region
from fangpin.monitoring.choices import (
    Category,
    Channel,
    DisasterSubtype,
    EliminationMethod,
    RiskTier,
    RiskType,
    VisitMethod,
)
from fangpin.monitoring.models import CaseObjection, MonitoringCase
from fangpin.monitoring.services import cases
from fangpin.monitoring.services.workflow import today

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = forms.Textarea(attrs={"rows": 3})
YES_NO_UNKNOWN = [("", "未核实"), ("true", "是"), ("false", "否")]


def _to_bool(value: str):
    return {"true": True, "false": False}.get(value)


def yes_no(label: str, required: bool = False) -> forms.TypedChoiceField:
    """A 是/否 question whose answer may be left open (None) unless `required`."""
    choices = YES_NO_UNKNOWN[1:] if required else YES_NO_UNKNOWN
    return forms.TypedChoiceField(
        label=label, choices=choices, coerce=_to_bool, empty_value=None, required=required
    )


class OpenCaseForm(forms.Form):
    channel = forms.ChoiceField(label="监测方式", choices=Channel.choices, initial=Channel.CADRE)
    clue_note = forms.CharField(label="线索说明", widget=TEXT, required=False)


class CheckForm(forms.Form):
    checked_on = forms.DateField(label="入户核实日期", widget=DATE, initial=today)
    consent_signed_on = forms.DateField(
        label="承诺授权书签署日期", widget=DATE, required=False, help_text="农户签署《承诺授权书》的日期"
    )
    category = forms.ChoiceField(
        label="监测对象类别", choices=[("", "请选择"), *Category.choices], required=False
    )
    risks = forms.MultipleChoiceField(
        label="致贫返贫风险（最多 5 项）",
        choices=RiskType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    disaster_subtype = forms.ChoiceField(
        label="因自然灾害子项", choices=[("", "—"), *DisasterSubtype.choices], required=False
    )
    risk_remark = forms.CharField(label="风险备注", max_length=200, required=False)
    risk_tier = forms.ChoiceField(
        label="风险等级（决定走访频次）", choices=RiskTier.choices, initial=RiskTier.MEDIUM
    )
    housing_unsafe = yes_no("是否住房出现安全问题")
    dropout = yes_no("是否义务教育阶段适龄儿童少年失学辍学")
    uninsured_member = yes_no("是否有家庭成员未参加基本医疗保险")
    water_unsafe = yes_no("是否饮水出现安全问题")
    check_note = forms.CharField(label="核实情况", widget=TEXT, required=False)


class ComparisonForm(forms.Form):
    result = forms.CharField(label="比对结论", widget=TEXT, required=False)


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label="评议日期", widget=DATE, initial=today)
    minutes = forms.CharField(label="评议会议记录", widget=TEXT, required=False)


class NoticeStartForm(forms.Form):
    start = forms.DateField(label="公示开始日期", widget=DATE, initial=today)


class AnnounceForm(forms.Form):
    announced_on = forms.DateField(label="公告日期", widget=DATE, initial=today)


class CommentForm(forms.Form):
    comment = forms.CharField(label="意见", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReasonForm(forms.Form):
    # Not required here: the workflow refuses an empty reason with its own message.
    reason = forms.CharField(label="原因", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class EliminationForm(forms.Form):
    method = forms.ChoiceField(
        label="风险消除方式", choices=[("", "请选择"), *EliminationMethod.choices], required=False
    )
    after_dropout = yes_no("风险消除后是否义务教育阶段适龄儿童少年失学辍学")
    after_housing_damaged = yes_no("风险消除后是否住房损毁")
    after_uninsured = yes_no("风险消除后是否有家庭成员未参加基本医疗保险")
    after_water_damaged = yes_no("风险消除后是否饮水设施损毁")
    after_wage = forms.DecimalField(
        label="风险消除后工资性收入（元）", min_value=0, decimal_places=2, required=False
    )
    after_business = forms.DecimalField(
        label="风险消除后生产经营性收入（元）", min_value=0, decimal_places=2, required=False
    )
    after_property = forms.DecimalField(
        label="风险消除后财产性收入（元）", min_value=0, decimal_places=2, required=False
    )
    after_transfer = forms.DecimalField(
        label="风险消除后转移性收入（元）", min_value=0, decimal_places=2, required=False
    )
    after_business_cost = forms.DecimalField(
        label="风险消除后生产经营性支出（元）", min_value=0, decimal_places=2, required=False
    )
    after_net_income = forms.DecimalField(
        label="风险消除后家庭纯收入（元）", decimal_places=2, required=False
    )
    after_per_capita_income = forms.DecimalField(
        label="风险消除后家庭人均纯收入（元）",
        decimal_places=2,
        required=False,
        help_text="不填则按家庭纯收入 ÷ 家庭人口数计算",
    )
    after_claims_income = forms.DecimalField(
        label="风险消除后理赔收入（元）", min_value=0, decimal_places=2, required=False
    )
    after_out_of_pocket = forms.DecimalField(
        label="风险消除后合规自付支出（元）", min_value=0, decimal_places=2, required=False
    )
    comment = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    @staticmethod
    def after_values_of(data: dict) -> dict:
        """The post-elimination fields for the service (the per-capita figure only when typed)."""
        values = {name: data[name] for name in MonitoringCase.AFTER_FIELDS}
        if values["after_per_capita_income"] is None:
            del values["after_per_capita_income"]
        return values


class ObjectionForm(forms.Form):
    received_on = forms.DateField(label="收到日期", widget=DATE, initial=today)
    raised_by = forms.CharField(label="异议人", max_length=50, required=False)
    content = forms.CharField(label="异议内容", widget=TEXT, required=False)


class HandleObjectionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="处理结果",
        choices=[
            ("", "请选择"),
            (CaseObjection.Outcome.UPHELD, "异议成立"),
            (CaseObjection.Outcome.DISMISSED, "异议不成立"),
        ],
        required=False,
    )
    handling = forms.CharField(label="核查处理情况", widget=forms.Textarea(attrs={"rows": 2}), required=False)


def ancestors(region) -> list:
    """`region` and every region above it."""
    out = []
    while region is not None:
        out.append(region)
        region = region.parent
    return out


def cadre_candidates(case: MonitoringCase):
    """Officials who can see the case's household: their region is the household's village or above it."""
    return (
        get_user_model()
        .objects.filter(is_active=True, region__in=ancestors(case.household.region))
        .select_related("region")
        .order_by("region__path", "username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        region = obj.region.name if obj.region_id else "全部"
        return f"{obj}（{region}）"


class CadreForm(forms.Form):
    cadre = UserChoiceField(label="帮扶责任人", queryset=get_user_model().objects.none(), required=False)
    unit = forms.CharField(label="帮扶单位", max_length=100, required=False)
    contact = forms.CharField(label="监测联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="监测联系人电话", max_length=20, required=False)

    def __init__(self, *args, case: MonitoringCase, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "cadre": case.cadre_id,
                "unit": case.cadre_unit,
                "contact": case.monitoring_contact,
                "contact_phone": case.monitoring_contact_phone,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadre_candidates(case)


def subtype_choices() -> list:
    """Sub-types grouped by category (a select with one group per category)."""
    return [("", "请选择")] + [
        (MeasureCategory(category).label, [(s, s) for s in subtypes])
        for category, subtypes in SUBTYPES.items()
    ]


class MeasureForm(forms.ModelForm):
    subtype = forms.ChoiceField(label="措施子项", choices=subtype_choices)

    class Meta:
        model = AssistanceMeasure
        fields = ["category", "subtype", "description", "amount", "start_on", "end_on", "provider"]
        widgets = {"start_on": DATE, "end_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_on"].initial = today

    def measure_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class VisitForm(forms.Form):
    visited_on = forms.DateField(label="走访日期", widget=DATE, initial=today)
    method = forms.ChoiceField(label="走访方式", choices=VisitMethod.choices)
    findings = forms.CharField(label="走访情况", widget=TEXT)
    follow_up = forms.CharField(label="后续措施", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class VillageCluesForm(forms.Form):
    """All open monitoring warnings of one village become clues."""

    village = forms.ModelChoiceField(label="村", queryset=Region.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = (
            Region.objects.visible_to(user).filter(level="village").order_by("path")
        )


class ReassignForm(forms.Form):
    from_cadre = UserChoiceField(label="原帮扶责任人", queryset=get_user_model().objects.none())
    to_cadre = UserChoiceField(label="新帮扶责任人", queryset=get_user_model().objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        current = (
            MonitoringCase.objects.visible_to(user)
            .exclude(status__in=MonitoringCase.CLOSED)
            .exclude(cadre=None)
            .values("cadre")
        )
        self.fields["from_cadre"].queryset = User.objects.filter(pk__in=current).order_by("username")
        # The new cadre: anyone working inside the acting official's area (the service checks each household).
        regions = Region.objects.visible_to(user)
        self.fields["to_cadre"].queryset = (
            User.objects.filter(is_active=True, region__in=regions)
            .select_related("region")
            .order_by("username")
        )


# ---------------------------------------------------------------- each workflow step: its form and its service


def _check(case, user, d):
    return cases.record_check(case, user=user, **d)


def _propose(case, user, d):
    return cases.propose_elimination(
        case, user=user, method=d["method"], comment=d["comment"], **EliminationForm.after_values_of(d)
    )


STEPS = {
    "check": (CheckForm, _check),
    "compare": (ComparisonForm, lambda c, u, d: cases.record_comparison(c, user=u, result=d["result"])),
    "review": (
        ReviewForm,
        lambda c, u, d: cases.record_review(c, user=u, reviewed_on=d["reviewed_on"], minutes=d["minutes"]),
    ),
    "start_notice": (NoticeStartForm, lambda c, u, d: cases.start_notice(c, user=u, start=d["start"])),
    "end_notice": (CommentForm, lambda c, u, d: cases.end_notice(c, user=u, comment=d["comment"])),
    "audit": (CommentForm, lambda c, u, d: cases.audit_case(c, user=u, comment=d["comment"])),
    "approve": (CommentForm, lambda c, u, d: cases.approve_case(c, user=u, comment=d["comment"])),
    "announce": (
        AnnounceForm,
        lambda c, u, d: cases.announce_case(c, user=u, announced_on=d["announced_on"]),
    ),
    "record": (CommentForm, lambda c, u, d: cases.record_case(c, user=u, comment=d["comment"])),
    "reject": (ReasonForm, lambda c, u, d: cases.reject_case(c, user=u, reason=d["reason"])),
    "propose_elimination": (EliminationForm, _propose),
    "elim_review": (
        ReviewForm,
        lambda c, u, d: cases.record_elim_review(
            c, user=u, reviewed_on=d["reviewed_on"], minutes=d["minutes"]
        ),
    ),
    "elim_start_notice": (
        NoticeStartForm,
        lambda c, u, d: cases.start_elim_notice(c, user=u, start=d["start"]),
    ),
    "elim_end_notice": (CommentForm, lambda c, u, d: cases.end_elim_notice(c, user=u, comment=d["comment"])),
    "elim_check": (CommentForm, lambda c, u, d: cases.check_elimination(c, user=u, comment=d["comment"])),
    "elim_approve": (CommentForm, lambda c, u, d: cases.approve_elimination(c, user=u, comment=d["comment"])),
    "elim_withdraw": (ReasonForm, lambda c, u, d: cases.withdraw_elimination(c, user=u, reason=d["reason"])),
}


def step_initial(name: str, case: MonitoringCase) -> dict:
    """Sensible starting values of a step's form: the elimination form starts from the latest income."""
    if name != "propose_elimination":
        return {}
    income = case.household.incomes.order_by("-year").first()
    if income is None:
        return {}
    return {
        "after_wage": income.wage,
        "after_business": income.business,
        "after_property": income.property,
        "after_transfer": income.transfer,
        "after_business_cost": income.business_cost,
        "after_net_income": income.net_income,
        "after_claims_income": income.claims_income,
        "after_out_of_pocket": income.compliant_out_of_pocket,
    }
