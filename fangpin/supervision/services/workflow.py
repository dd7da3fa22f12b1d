"""The clue lifecycle of spec §7.3 as one declared transition table, with its guards.

交办 (supervisor) → 核查 (the unit) → 查实 and classified, or 查否 closed with evidence → 整改 (actions, funds) →
问责 when discipline applies (supervisor) → 已整改 with evidence → 市级抽查 (a city department samples a share of
them; a failed check sends the clue back to 整改) or 销号 → closed. Any open clue may be escalated (督办) when
overdue or falsified, and resumes where it was.
"""

from __future__ import annotations

from fangpin.core.workflow import Transition, Workflow
from fangpin.supervision.choices import Classification, RectificationAction
from fangpin.supervision.models import Clue, unit_label

S = Clue.Status

# Evidence must be attached in these stages before the clue can leave them.
UNFOUNDED_EVIDENCE_STAGES = (S.VERIFYING,)
RECTIFIED_EVIDENCE_STAGES = (S.RECTIFYING, S.ACCOUNTABILITY)


def assignment_complete(clue: Clue, user) -> str | None:
    missing = [
        label
        for label, value in (
            ("承办单位", clue.assigned_region_id),
            ("牵头负责人", clue.lead_official.strip()),
            ("整改时限", clue.deadline),
        )
        if not value
    ]
    if missing:
        return f"交办须填写{'、'.join(missing)}"
    if clue.assigned_department:
        if clue.assigned_region.level not in ("city", "county"):
            return "交办给行业部门的问题线索只能交办到市级或县（市、区）级部门"
        if not has_accounts(clue.assigned_region, clue.assigned_department):
            # Nobody could take the clue's steps: refuse rather than hand it into a void.
            unit = unit_label(clue.assigned_region, clue.assigned_department)
            return f"{unit}尚未开通经办账号，无法交办，请先为其开通账号"
    elif clue.assigned_region.level not in ("county", "township"):
        return "问题线索只能交办到县（市、区）或乡镇"
    return None


def has_accounts(region, department: str) -> bool:
    from fangpin.accounts.models import User

    return User.objects.filter(region=region, department=department, is_active=True).exists()


def confirmation_complete(clue: Clue, user) -> str | None:
    problems = []
    if not clue.classification:
        problems.append("请选择问题定性（政策执行偏差、违纪违规或数据错误）")
    if not clue.verification_note.strip():
        problems.append("请填写核查情况")
    return "；".join(problems) or None


def unfounded_has_evidence(clue: Clue, user) -> str | None:
    if not clue.verification_note.strip():
        return "查否销号须填写核查情况"
    if not clue.files.filter(stage__in=UNFOUNDED_EVIDENCE_STAGES).exists():
        return "查否销号须上传核查佐证材料"
    return None


def actions_chosen(clue: Clue, user) -> str | None:
    actions = list(clue.actions or [])
    if not actions:
        return "请至少选择一项整改措施"
    unknown = [a for a in actions if a not in RectificationAction.values]
    if unknown:
        return f"未知的整改措施：{'、'.join(map(str, unknown))}"
    return None


def is_discipline(clue: Clue, user) -> str | None:
    if clue.classification != Classification.DISCIPLINE:
        return "只有定性为“违纪违规”的线索需要问责"
    return None


def accountability_recorded(clue: Clue, user) -> str | None:
    if not clue.accountability_type:
        return "请选择问责方式"
    if clue.persons_accountable < 1:
        return "问责人数至少为 1"
    return None


def rectification_complete(clue: Clue, user) -> str | None:
    problems = []
    if not clue.rectification_note.strip():
        problems.append("请填写整改情况")
    if clue.classification == Classification.DISCIPLINE and not (
        clue.accountability_type and clue.persons_accountable
    ):
        problems.append("违纪违规问题须先登记问责结果")
    recovering = RectificationAction.RECOVER_FUNDS in (clue.actions or [])
    if recovering and not clue.funds_recovered:
        problems.append("整改措施含追缴资金，请填写追缴金额")
    if RectificationAction.STOP_FUNDS in (clue.actions or []) and not clue.funds_stopped:
        problems.append("整改措施含停发资金，请填写停发金额")
    if not clue.files.filter(stage__in=RECTIFIED_EVIDENCE_STAGES).exists():
        problems.append("请上传整改佐证材料（文件、照片）")
    return "；".join(problems) or None


def at_city_or_above(user) -> bool:
    """The user sits at the city (or province): where spot checks are made and departments see the whole city."""
    region = getattr(user, "region", None)
    return region is not None and region.level in ("city", "province")


def at_city_level(clue: Clue, user) -> str | None:
    """Spot checks are the city departments' (seed §15): a county department may not check its own county, nor
    a department a clue it rectified itself."""
    if getattr(user, "is_superuser", False):
        return None
    if not at_city_or_above(user):
        return "抽查由市级部门进行"
    own_unit = clue.assigned_region_id == getattr(user, "region_id", None)
    if own_unit and clue.assigned_department and clue.assigned_department == getattr(user, "department", ""):
        return "不能抽查本部门承办的问题线索"
    return None


def may_spot_check(user) -> bool:
    """Whether `user` can spot-check at all: the permission, at the city (a county department holds the
    permission with its role but is always refused)."""
    return user.has_perm(SPOT_CHECK_PERMISSION) and at_city_level(Clue(), user) is None


HANDLE_PERMISSION = "supervision.handle_clue"
SPOT_CHECK_PERMISSION = "supervision.spot_check_clue"
# The stages in which the handling unit gathers its evidence: only it (or a supervisor) may add files then.
HANDLER_EVIDENCE_STAGES = (S.VERIFYING, S.RECTIFYING, S.ACCOUNTABILITY)


def handles(clue: Clue, user) -> bool:
    """Whether `user`'s unit is the one the clue was handed to: a line department's users handle the clues
    handed to their department, everyone else (the poverty offices of counties and townships) the rest."""
    if getattr(user, "is_superuser", False):
        return True
    department = getattr(user, "department", "") or ""
    if department != (clue.assigned_department or ""):
        return False
    # A department's clue is its own unit's: the city's 民政 does not act for a county's 民政.
    return not department or getattr(user, "region_id", None) == clue.assigned_region_id


def steps_for(clue: Clue, user) -> list[tuple[str, Transition]]:
    """(step name, transition) of the steps `user` may take now: by permission, and the handling steps only for
    the unit the clue was handed to. An escalated clue offers only the resume step back to the stage it was
    in, under the one name "resume"."""
    out = []
    for t in CLUE_WORKFLOW.available(clue, user):
        if t.permission == HANDLE_PERMISSION and not handles(clue, user):
            continue
        if t.permission == SPOT_CHECK_PERMISSION and at_city_level(clue, user):
            continue  # never possible for this user on this clue (below the city, or its own unit's)
        if not t.name.startswith("resume_"):
            out.append((t.name, t))
        elif t.name == f"resume_{clue.escalated_from}":
            out.append(("resume", t))
    return out


def resumes_to(target: str):
    def guard(clue: Clue, user) -> str | None:
        return None if clue.escalated_from == target else "督办前状态不符"

    return guard


ESCALATABLE = tuple(s for s in Clue.OPEN if s != S.ESCALATED)

CLUE_WORKFLOW = Workflow(
    [
        Transition("assign", "交办", (S.GENERATED,), S.ASSIGNED, "supervision.supervise_clue", (assignment_complete,)),
        Transition("start_verifying", "开始核查", (S.ASSIGNED,), S.VERIFYING, "supervision.handle_clue"),
        Transition("confirm", "查实", (S.VERIFYING,), S.CONFIRMED, "supervision.handle_clue", (confirmation_complete,)),
        Transition("unfounded", "查否销号", (S.VERIFYING,), S.UNFOUNDED, "supervision.handle_clue", (unfounded_has_evidence,)),
        Transition("start_rectifying", "开始整改", (S.CONFIRMED,), S.RECTIFYING, "supervision.handle_clue", (actions_chosen,)),
        Transition("hold_accountable", "转入问责", (S.RECTIFYING,), S.ACCOUNTABILITY, "supervision.supervise_clue", (is_discipline,)),
        Transition("rectified", "整改完成", (S.RECTIFYING, S.ACCOUNTABILITY), S.RECTIFIED, "supervision.handle_clue", (rectification_complete,)),
        Transition("record_accountability", "登记问责结果", (S.ACCOUNTABILITY,), S.ACCOUNTABILITY, "supervision.supervise_clue", (accountability_recorded,)),
        Transition("select_spot_check", "抽中复查", (S.RECTIFIED,), S.SPOT_CHECK, "supervision.spot_check_clue", (at_city_level,)),
        Transition("spot_check_pass", "抽查通过，销号", (S.SPOT_CHECK,), S.CLOSED, "supervision.spot_check_clue", (at_city_level,)),
        Transition("spot_check_fail", "抽查未通过，退回整改", (S.SPOT_CHECK,), S.RECTIFYING, "supervision.spot_check_clue", (at_city_level,), comment_required=True),
        Transition("close", "销号", (S.RECTIFIED,), S.CLOSED, "supervision.supervise_clue"),
        Transition("escalate", "督办", ESCALATABLE, S.ESCALATED, "supervision.supervise_clue", comment_required=True),
        *(
            Transition(f"resume_{state}", "恢复办理", (S.ESCALATED,), state, "supervision.supervise_clue", (resumes_to(state),))
            for state in ESCALATABLE
        ),
    ]
)  # fmt: skip

# The stages in which a clue counts as overdue when its deadline has passed (not after rectification).
DEADLINE_STAGES = (S.ASSIGNED, S.VERIFYING, S.CONFIRMED, S.RECTIFYING, S.ACCOUNTABILITY)
