"""Forms of the clue pages. They only parse input: every rule of the clue loop (who may take a step, what a step
needs, evidence types and sizes, units in scope …) is enforced by the services, whose Chinese reasons the pages
show. Fields are therefore mostly optional here, so an empty field reaches the service and comes back with the
service's own reason rather than a generic "required"."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from fangpin.accounts.models import Department
from fangpin.geo.models import Region
from fangpin.registry.filters import region_choices
from fangpin.registry.models import Household
from fangpin.supervision.choices import AccountabilityType, Classification, ClueSource, RectificationAction
from fangpin.supervision.services import clues
from fangpin.supervision.services.clues import today

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = forms.Textarea(attrs={"rows": 3})
SHORT = forms.Textarea(attrs={"rows": 2})
MONEY = {"min_value": 0, "decimal_places": 2, "max_digits": 14, "required": False}


def units_of(user):
    """The units a user may hand clues to: the counties and townships of their region, and the city itself for
    its line departments (a city department is chosen with the city and a department)."""
    return Region.objects.visible_to(user).filter(level__in=("city", "county", "township")).order_by("path")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name


class AssignForm(forms.Form):
    unit = UnitChoiceField(
        label="承办单位（县、乡镇；行业部门选所在的市或县）",
        queryset=Region.objects.none(),
        required=False,
        empty_label="请选择",
    )
    department = forms.ChoiceField(
        label="承办部门", choices=[("", "（该区划的扶贫部门）"), *Department.choices], required=False,
        help_text="交办给市、县行业部门（如县民政局）时选择",
    )  # fmt: skip
    lead_official = forms.CharField(label="牵头负责人", max_length=50, required=False)
    deadline = forms.DateField(label="整改时限", widget=DATE, required=False)
    comment = forms.CharField(label="交办要求", widget=SHORT, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_of(user)

    def clean_unit(self):
        # The unit and the deadline are what a hand-over is: without them there is nothing to call the service with.
        unit = self.cleaned_data.get("unit")
        if unit is None:
            raise forms.ValidationError("请选择承办单位")
        return unit

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if deadline is None:
            raise forms.ValidationError("请填写整改时限")
        return deadline


class NoFieldsForm(forms.Form):
    """A step that records nothing but itself (开始核查, 抽中复查)."""


class CommentForm(forms.Form):
    comment = forms.CharField(label="意见", widget=SHORT, required=False)


class ConfirmForm(forms.Form):
    classification = forms.ChoiceField(
        label="问题定性", choices=[("", "请选择"), *Classification.choices], required=False
    )
    verification_note = forms.CharField(label="核查情况", widget=TEXT, required=False)


class UnfoundedForm(forms.Form):
    verification_note = forms.CharField(
        label="核查情况", widget=TEXT, required=False, help_text="查否销号须先在下方上传核查佐证材料"
    )


class RectifyForm(forms.Form):
    actions = forms.MultipleChoiceField(
        label="整改措施",
        choices=RectificationAction.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class AccountabilityForm(forms.Form):
    accountability_type = forms.ChoiceField(
        label="问责方式", choices=[("", "请选择"), *AccountabilityType.choices], required=False
    )
    persons_accountable = forms.IntegerField(label="问责人数", min_value=0, required=False)
    note = forms.CharField(label="问责情况", widget=SHORT, required=False)


class RectifiedForm(forms.Form):
    rectification_note = forms.CharField(
        label="整改情况", widget=TEXT, required=False, help_text="须先在下方上传整改佐证材料（文件、照片）"
    )
    funds_stopped = forms.DecimalField(label="停发资金（元）", **MONEY)
    funds_recovered = forms.DecimalField(label="追缴资金（元）", **MONEY)


class NoteForm(forms.Form):
    note = forms.CharField(label="抽查情况", widget=SHORT, required=False)


class ReasonForm(forms.Form):
    # Not required here: the workflow refuses an empty reason with its own message.
    reason = forms.CharField(label="督办原因", widget=SHORT, required=False)


class ResumeForm(forms.Form):
    deadline = forms.DateField(label="新的整改时限", widget=DATE, required=False, help_text="不填则不变")
    comment = forms.CharField(label="意见", widget=SHORT, required=False)


def _money(value) -> Decimal:
    return value if value is not None else Decimal(0)


# ---------------------------------------------------------------- each step: its form and its service
# The URL names a step; escalated clues resume through "resume", whichever stage they go back to.

STEPS = {
    "assign": (
        AssignForm,
        lambda c, u, d: clues.assign(
            c, user=u, unit=d["unit"], lead_official=d["lead_official"], deadline=d["deadline"],
            comment=d["comment"], department=d["department"],
        ),
    ),
    "start_verifying": (NoFieldsForm, lambda c, u, d: clues.start_verifying(c, user=u)),
    "confirm": (
        ConfirmForm,
        lambda c, u, d: clues.confirm(
            c, user=u, classification=d["classification"], verification_note=d["verification_note"]
        ),
    ),
    "unfounded": (
        UnfoundedForm,
        lambda c, u, d: clues.close_unfounded(c, user=u, verification_note=d["verification_note"]),
    ),
    "start_rectifying": (RectifyForm, lambda c, u, d: clues.start_rectifying(c, user=u, actions=d["actions"])),
    "hold_accountable": (CommentForm, lambda c, u, d: clues.hold_accountable(c, user=u, comment=d["comment"])),
    "record_accountability": (
        AccountabilityForm,
        lambda c, u, d: clues.record_accountability(
            c, user=u, accountability_type=d["accountability_type"],
            persons_accountable=d["persons_accountable"] or 0, note=d["note"],
        ),
    ),
    "rectified": (
        RectifiedForm,
        lambda c, u, d: clues.mark_rectified(
            c, user=u, rectification_note=d["rectification_note"],
            funds_stopped=_money(d["funds_stopped"]), funds_recovered=_money(d["funds_recovered"]),
        ),
    ),
    "select_spot_check": (NoFieldsForm, lambda c, u, d: clues.select_for_spot_check(c, user=u)),
    "spot_check_pass": (NoteForm, lambda c, u, d: clues.pass_spot_check(c, user=u, note=d["note"])),
    "spot_check_fail": (NoteForm, lambda c, u, d: clues.fail_spot_check(c, user=u, note=d["note"])),
    "close": (CommentForm, lambda c, u, d: clues.close(c, user=u, comment=d["comment"])),
    "escalate": (ReasonForm, lambda c, u, d: clues.escalate(c, user=u, reason=d["reason"])),
    "resume": (
        ResumeForm,
        lambda c, u, d: clues.resume(c, user=u, comment=d["comment"], deadline=d["deadline"]),
    ),
}  # fmt: skip


def step_form(name: str, *args, user, **kwargs) -> forms.Form:
    form_class = STEPS[name][0]
    if form_class is AssignForm:
        return form_class(*args, prefix=name, user=user, **kwargs)
    return form_class(*args, prefix=name, **kwargs)


# ---------------------------------------------------------------- evidence, hand entry, batches, spot checks


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label="佐证材料",
        required=False,
        help_text="图片（jpg、png）、PDF 或 Office 文件（doc、docx、xls、xlsx、ppt、pptx）",
    )
    note = forms.CharField(label="说明", max_length=200, required=False)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise forms.ValidationError("请选择要上传的文件")
        return upload


class ClueCreateForm(forms.Form):
    """人工登记: a clue from an unannounced visit, a hotline tip, an audit or an inspection."""

    source = forms.ChoiceField(
        label="线索来源",
        choices=[("", "请选择")] + [c for c in ClueSource.choices if c[0] != ClueSource.COMPARISON],
        required=False,
    )
    region = forms.ChoiceField(
        label="问题所在地", required=False, help_text="涉及具体农户时可不选，按该户所在村登记"
    )
    household_number = forms.CharField(label="涉及户编号", max_length=30, required=False)
    person_id_number = forms.CharField(label="涉及人员身份证号", max_length=18, required=False)
    title = forms.CharField(label="问题", max_length=200)
    description = forms.CharField(label="问题描述", widget=TEXT)
    amount_involved = forms.DecimalField(label="涉及金额（元）", **MONEY)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"].choices = [("", "请选择"), *region_choices(user)]

    def clean_household_number(self):
        number = self.cleaned_data["household_number"].strip()
        if not number:
            return None
        household = Household.objects.visible_to(self.user).filter(number=number).first()
        if household is None:  # out of scope reads exactly like "no such household"
            raise forms.ValidationError("未找到该户编号")
        return household

    def clean(self):
        data = super().clean()
        household = data.get("household_number")
        code = data.get("region")
        region = Region.objects.visible_to(self.user).filter(code=code).first() if code else None
        if region is None and household is not None:
            region = household.region
        if region is None:
            self.add_error("region", "请选择问题所在地")
        data["region_obj"] = region
        person_id = (data.get("person_id_number") or "").strip().upper()
        data["person"] = None
        if person_id:
            if household is None:
                self.add_error("person_id_number", "请先填写涉及户编号")
            else:
                data["person"] = household.members.filter(id_number=person_id).first()
                if data["person"] is None:
                    self.add_error("person_id_number", "该户没有这个身份证号的成员")
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "source": d["source"],
            "region": d["region_obj"],
            "title": d["title"],
            "description": d["description"],
            "household": d["household_number"],
            "person": d["person"],
            "amount_involved": _money(d["amount_involved"]),
        }


class BatchAssignForm(AssignForm):
    """交办 a batch: the chosen clues come as `clue` values beside these fields."""

    title = forms.CharField(label="批次名称", max_length=100)
    note = forms.CharField(label="交办要求", widget=SHORT, required=False)
    comment = None

    field_order = ["title", "unit", "department", "lead_official", "deadline", "note"]

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {"title": f"{today():%Y年%m月%d日} 交办"})
        super().__init__(*args, user=user, **kwargs)


class SpotCheckForm(forms.Form):
    percent = forms.DecimalField(
        label="抽查比例（%）",
        min_value=Decimal("0.01"),
        max_value=100,
        decimal_places=2,
        initial=10,
        help_text="从已整改、待抽查的线索中随机抽取，至少 1 条",
    )
