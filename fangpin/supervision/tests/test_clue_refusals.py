"""Every guard of the clue lifecycle (spec §7.3, issue #6 part 2) refuses with a Chinese reason naming what is
missing, and a refused step writes nothing: not the row, not a StatusChange, not a change-log entry, and the
caller's instance is left as it was."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from fangpin.core.workflow import TransitionRefused
from fangpin.supervision.models import Clue, ClueBatch
from fangpin.supervision.services import clues, evidence
from fangpin.supervision.tests.test_clue_lifecycle import (
    PDF,
    S,
    at,
    make_people,
    nothing_written,
    one_step,
    soon,
    status_changes,
)


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


CHINESE = re.compile(r"[\u4e00-\u9fff]")


def reason(exc_info) -> str:
    messages = exc_info.value.messages
    assert messages and all(CHINESE.search(m) for m in messages), messages
    return "；".join(messages)


# ------------------------------------------------------------------------------------------------- assignment


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"lead_official": ""}, "牵头负责人"),
        ({"lead_official": "   "}, "牵头负责人"),
        ({"deadline": None}, "整改时限"),
        ({"unit": None}, "承办单位"),
    ],
)
def test_assignment_needs_unit_lead_and_deadline(changes, expected, people, tree, households):
    clue = at(S.GENERATED, people, tree, households["a"])
    kwargs = {"unit": tree.township, "lead_official": "王镇长", "deadline": soon(), **changes}
    with nothing_written(clue), pytest.raises(ValidationError) as exc:
        clues.assign(clue, user=people["supervisor"], **kwargs)
    assert expected in reason(exc)
    assert clue.status == S.GENERATED and clue.lead_official == ""


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("village_a", "县（市、区）或乡镇"),  # a village is not a unit that handles clues
        ("other_township", "管辖范围"),  # another county's township
        ("other_county", "管辖范围"),
        ("city", "管辖范围"),  # above the supervisor's own county
        ("township_2", "问题所在地"),  # a township of the county, but not where the problem is
    ],
)
def test_assignment_to_a_village_or_outside_scope_is_refused(unit, expected, people, tree, households):
    clue = at(S.GENERATED, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(ValidationError) as exc:
        clues.assign(
            clue, user=people["supervisor"], unit=getattr(tree, unit), lead_official="王镇长", deadline=soon()
        )
    assert expected in reason(exc)


def test_assignment_deadline_cannot_be_in_the_past(people, tree, households):
    clue = at(S.GENERATED, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(ValidationError) as exc:
        clues.assign(
            clue,
            user=people["supervisor"],
            unit=tree.township,
            lead_official="王镇长",
            deadline=dt.date.today() - dt.timedelta(days=1),
        )
    assert "整改时限" in reason(exc)
    clues.assign(
        clue, user=people["supervisor"], unit=tree.township, lead_official="王镇长", deadline=dt.date.today()
    )


def test_a_batch_is_assigned_all_or_none(people, tree, households):
    first = at(S.GENERATED, people, tree, households["a"])
    taken = at(S.ASSIGNED, people, tree, households["b"])  # already handed over
    with nothing_written(first, taken), pytest.raises(TransitionRefused):
        clues.assign_batch(
            [first, taken], user=people["supervisor"], title="第一批", unit=tree.township,
            lead_official="王镇长", deadline=soon(),
        )  # fmt: skip
    assert not ClueBatch.objects.exists()
    batch = clues.assign_batch(
        [Clue.objects.get(pk=first.pk)], user=people["supervisor"], title="第三批", unit=tree.township,
        lead_official="王镇长", deadline=soon(),
    )  # fmt: skip
    assert list(batch.clues.all()) == [Clue.objects.get(pk=first.pk)]
    assert status_changes(first)[-1] == "assign"


def test_a_refused_batch_leaves_the_callers_clues_as_they_were(people, tree, households):
    """Like a refused single step (core.workflow.apply), a rolled-back batch must not leave the instances
    saying 已交办 while the database says 待交办: a retry with them would be refused for the wrong reason."""
    first = at(S.GENERATED, people, tree, households["a"])
    taken = at(S.ASSIGNED, people, tree, households["b"])
    with pytest.raises(TransitionRefused):
        clues.assign_batch(
            [first, taken], user=people["supervisor"], title="第一批", unit=tree.township,
            lead_official="王镇长", deadline=soon(),
        )  # fmt: skip
    assert (first.status, first.assigned_region, first.batch_id) == (S.GENERATED, tree.county, None)


def test_a_batch_with_a_clue_out_of_scope_is_not_found(people, tree, households):
    first = at(S.GENERATED, people, tree, households["a"])
    elsewhere = at(S.GENERATED, people, tree, households["d"])  # 通山's pool
    with nothing_written(first, elsewhere), pytest.raises(Http404):
        clues.assign_batch(
            [first, elsewhere], user=people["supervisor"], title="第二批", unit=tree.county,
            lead_official="县防贫办", deadline=soon(),
        )  # fmt: skip
    assert not ClueBatch.objects.exists()


# --------------------------------------------------------------------------------------------- verification


@pytest.mark.parametrize(
    ("classification", "note", "expected"),
    [("", "经核查属实", "问题定性"), ("discipline", "", "核查情况"), ("discipline", "  \n", "核查情况")],
)
def test_confirm_needs_a_classification_and_a_note(classification, note, expected, people, tree, households):
    clue = at(S.VERIFYING, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.confirm(
            clue, user=people["township_officer"], classification=classification, verification_note=note
        )
    assert expected in reason(exc)
    assert (clue.status, clue.classification, clue.verification_note) == (S.VERIFYING, "", "")


def test_confirm_refuses_a_classification_outside_the_three(people, tree, households):
    clue = at(S.VERIFYING, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(ValidationError) as exc:
        clues.confirm(
            clue, user=people["township_officer"], classification="corruption", verification_note="x"
        )
    reason(exc)


def test_unfounded_closure_needs_evidence_and_a_note(people, tree, households):
    clue = at(S.VERIFYING, people, tree, households["a"], proof=False)
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.close_unfounded(clue, user=people["township_officer"], verification_note="同名不同人")
    assert "佐证材料" in reason(exc)
    evidence.add_evidence(clue, user=people["township_officer"], name="核查笔录.pdf", content=PDF)
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.close_unfounded(clue, user=people["township_officer"], verification_note=" ")
    assert "核查情况" in reason(exc)
    with one_step(clue, "unfounded"):
        clues.close_unfounded(clue, user=people["township_officer"], verification_note="同名不同人")


def test_evidence_from_before_verification_does_not_close_a_clue_unfounded(people, tree, households):
    """The evidence of a 查否 closure is the verification's own (the on-site check), not an earlier file."""
    clue = at(S.ASSIGNED, people, tree, households["a"])
    evidence.add_evidence(clue, user=people["supervisor"], name="交办函.pdf", content=PDF)
    clues.start_verifying(clue, user=people["township_officer"])
    with nothing_written(clue), pytest.raises(TransitionRefused, match="佐证材料"):
        clues.close_unfounded(clue, user=people["township_officer"], verification_note="查否")


# -------------------------------------------------------------------------------------------- rectification


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([], "整改措施"),
        (["teleport"], "未知的整改措施：teleport"),
        (["correct_data", "x"], "未知的整改措施：x"),
    ],
)
def test_rectifying_needs_known_actions(actions, expected, people, tree, households):
    clue = at(S.CONFIRMED, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.start_rectifying(clue, user=people["township_officer"], actions=actions)
    assert expected in reason(exc)
    assert clue.actions == []


@pytest.mark.parametrize("classification", ["policy_deviation", "data_error"])
def test_accountability_only_for_discipline(classification, people, tree, households):
    clue = at(S.RECTIFYING, people, tree, households["a"], classification=classification)
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.hold_accountable(clue, user=people["supervisor"])
    assert "违纪违规" in reason(exc)


@pytest.mark.parametrize(
    ("kind", "persons", "expected"),
    [("", 2, "问责方式"), ("party_discipline", 0, "问责人数")],
)
def test_accountability_result_needs_a_type_and_persons(kind, persons, expected, people, tree, households):
    clue = at(S.ACCOUNTABILITY, people, tree, households["a"], classification="discipline")
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.record_accountability(
            clue, user=people["supervisor"], accountability_type=kind, persons_accountable=persons
        )
    assert expected in reason(exc)


def test_accountability_result_refuses_an_unknown_type_or_negative_persons(people, tree, households):
    clue = at(S.ACCOUNTABILITY, people, tree, households["a"], classification="discipline")
    for kind, persons in (("beheading", 1), ("party_discipline", -1)):
        with nothing_written(clue), pytest.raises(ValidationError) as exc:
            clues.record_accountability(
                clue, user=people["supervisor"], accountability_type=kind, persons_accountable=persons
            )
        reason(exc)


def test_rectified_needs_a_note_and_evidence(people, tree, households):
    clue = at(S.RECTIFYING, people, tree, households["a"], proof=False)
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.mark_rectified(clue, user=people["township_officer"], rectification_note="")
    assert "整改情况" in reason(exc) and "佐证材料" in reason(exc)
    evidence.add_evidence(
        clue, user=people["township_officer"], name="整改照片.jpg", content=b"\xff\xd8\xff\xdb"
    )
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.mark_rectified(clue, user=people["township_officer"], rectification_note="  ")
    assert "整改情况" in reason(exc) and "佐证材料" not in reason(exc)


def test_recovering_funds_needs_the_amount(people, tree, households):
    clue = at(S.CONFIRMED, people, tree, households["a"])
    clues.start_rectifying(clue, user=people["township_officer"], actions=["recover_funds"])
    evidence.add_evidence(clue, user=people["township_officer"], name="追缴.pdf", content=PDF)
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.mark_rectified(clue, user=people["township_officer"], rectification_note="已追缴")
    assert "追缴金额" in reason(exc)
    with nothing_written(clue), pytest.raises(ValidationError) as exc:
        clues.mark_rectified(
            clue, user=people["township_officer"], rectification_note="已追缴", funds_recovered=Decimal("-5")
        )
    reason(exc)
    assert clue.funds_recovered == 0
    with one_step(clue, "rectified"):
        clues.mark_rectified(
            clue,
            user=people["township_officer"],
            rectification_note="已追缴",
            funds_recovered=Decimal("1200.50"),
        )


def test_stopping_funds_needs_the_amount(people, tree, households):
    """Spec §7.3 / issue part 2: "stop or recover funds with amounts" — a stop without its amount is refused."""
    clue = at(S.CONFIRMED, people, tree, households["a"])
    clues.start_rectifying(clue, user=people["township_officer"], actions=["stop_funds"])
    evidence.add_evidence(clue, user=people["township_officer"], name="停发.pdf", content=PDF)
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.mark_rectified(clue, user=people["township_officer"], rectification_note="已停发")
    assert "停发" in reason(exc)


def test_discipline_needs_the_accountability_result_before_rectified(people, tree, households):
    clue = at(S.RECTIFYING, people, tree, households["a"], classification="discipline")
    with nothing_written(clue), pytest.raises(TransitionRefused) as exc:
        clues.mark_rectified(clue, user=people["township_officer"], rectification_note="已清退")
    assert "问责结果" in reason(exc)
    clues.hold_accountable(clue, user=people["supervisor"])
    with nothing_written(clue), pytest.raises(TransitionRefused, match="问责结果"):
        clues.mark_rectified(clue, user=people["township_officer"], rectification_note="已清退")
    clues.record_accountability(
        clue, user=people["supervisor"], accountability_type="organisational", persons_accountable=1
    )
    with one_step(clue, "rectified"):
        clues.mark_rectified(clue, user=people["township_officer"], rectification_note="已清退")


def test_a_failed_spot_check_needs_a_reason_and_sends_the_clue_back(people, tree, households):
    clue = at(S.SPOT_CHECK, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(TransitionRefused, match="意见或原因"):
        clues.fail_spot_check(clue, user=people["city_department"], note="")
    with one_step(clue, "spot_check_fail"):
        clues.fail_spot_check(clue, user=people["city_department"], note="整改照片为旧照片")
    clue.refresh_from_db()
    assert (clue.status, clue.spot_check_note, clue.closed_on) == (S.RECTIFYING, "整改照片为旧照片", None)


# ----------------------------------------------------------------------------------------------- spot checks


@pytest.mark.parametrize("share", ["0", "-0.1", "1.01", "2", 0, 5])
def test_the_draw_share_must_be_in_range(share, people, tree, households):
    clue = at(S.RECTIFIED, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(ValidationError) as exc:
        clues.draw_spot_checks(user=people["city_department"], share=Decimal(share))
    assert "抽查比例" in reason(exc)


def test_the_draw_samples_the_share_and_at_least_one(people, tree, households):
    rectified = [at(S.RECTIFIED, people, tree, households[k]) for k in ("a", "b", "a")]
    open_one = at(S.RECTIFYING, people, tree, households["a"])
    chosen = clues.draw_spot_checks(user=people["city_department"], share=Decimal("0.5"), seed=7)
    assert len(chosen) == 2 and {c.pk for c in chosen} <= {c.pk for c in rectified}
    assert Clue.objects.filter(status=S.SPOT_CHECK).count() == 2
    assert Clue.objects.get(pk=open_one.pk).status == S.RECTIFYING
    chosen = clues.draw_spot_checks(user=people["city_department"], share=Decimal("0.01"), seed=7)
    assert len(chosen) == 1  # the one left
    assert clues.draw_spot_checks(user=people["city_department"], share=Decimal("0.5")) == []


def test_the_draw_is_the_citys(people, tree, households):
    clue = at(S.RECTIFIED, people, tree, households["a"])
    with nothing_written(clue), pytest.raises(TransitionRefused, match="市级"):
        clues.draw_spot_checks(user=people["medical_officer"], share=Decimal("1"))
    with nothing_written(clue), pytest.raises(PermissionDenied):
        clues.draw_spot_checks(user=people["supervisor"], share=Decimal("1"))
