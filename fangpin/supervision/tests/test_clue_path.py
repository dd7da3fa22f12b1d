"""A clue's whole loop through the services: generated from a comparison hit, handed to a township, verified,
rectified with evidence, held to account, spot-checked (failed once, then passed) and closed; and the refusals
the issue names."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from fangpin.accounts.services import create_user
from fangpin.core.models import StatusChange
from fangpin.core.testing import PASSWORD
from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring.models import ScreeningRun, Warning
from fangpin.supervision.models import Clue
from fangpin.supervision.services import clues, evidence

S = Clue.Status
DAY0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% evidence\n"


@pytest.fixture
def city_department(tree):
    return create_user(
        "city_civil",
        role="department",
        region_code=tree.city.code,
        password=PASSWORD,
        department="civil_affairs",
    )


def comparison_hit(household, code="BD-03"):
    run = ScreeningRun.objects.create(region=household.region, as_of=DAY0.date(), status="succeeded")
    person = household.members.first()
    return Warning.objects.create(
        rule_code=code,
        rule_set="comparison",
        rule_version="1",
        rule_title="财政供养人员在脱贫户中",
        produces="clue",
        severity="high",
        subject_key=person.id_number,
        household=household,
        person=person,
        as_of=DAY0.date(),
        evidence={
            "inputs": [
                {"name": "on_public_payroll", "value": True, "source": "部门数据：财政《财政供养人员信息》"}
            ]
        },
        explanation="该脱贫户成员在财政供养人员名单中。",
        raised_by=run,
        last_seen_by=run,
        first_seen_at=DAY0,
        last_seen_at=DAY0,
    )


def test_a_clue_from_a_hit_to_closure(cast, households, tree, city_department):
    supervisor, township = cast["supervisor"], cast["township_officer"]
    with time_machine.travel(DAY0, tick=False) as clock:
        made = clues.clues_from_warnings([comparison_hit(households["a"])], user=supervisor)
        clue = made.created[0]
        assert clue.status == S.GENERATED and clue.number.startswith("XS2026")
        assert clue.sources == "部门数据：财政《财政供养人员信息》"
        assert not clues.clues_visible_to(township).filter(pk=clue.pk).exists()  # still the supervisors' pool

        clues.assign(
            clue,
            user=supervisor,
            unit=tree.township,
            lead_official="王镇长",
            deadline=DAY0.date() + dt.timedelta(days=30),
        )
        assert clues.clues_visible_to(township).filter(pk=clue.pk).exists()
        assert not clues.clues_visible_to(cast["outsider"]).filter(pk=clue.pk).exists()

        clues.start_verifying(clue, user=township)
        clues.confirm(
            clue, user=township, classification="discipline", verification_note="经核查，该成员系镇财政所职工"
        )
        clues.start_rectifying(clue, user=township, actions=["exclude", "recover_funds"])
        clues.hold_accountable(clue, user=supervisor)
        clues.record_accountability(
            clue, user=supervisor, accountability_type="party_discipline", persons_accountable=2
        )
        with pytest.raises(TransitionRefused, match="追缴金额"):
            clues.mark_rectified(clue, user=township, rectification_note="已清退")
        evidence.add_evidence(clue, user=township, name="清退通知.pdf", content=PDF)
        clues.mark_rectified(
            clue, user=township, rectification_note="已清退并追缴", funds_recovered=Decimal("4800")
        )

        clock.shift(dt.timedelta(days=10))
        chosen = clues.draw_spot_checks(user=city_department, share=Decimal("0.1"), seed=1)
        assert chosen == [clue]
        clue = chosen[0]
        clues.fail_spot_check(clue, user=city_department, note="追缴凭证不全")
        assert clue.status == S.RECTIFYING
        evidence.add_evidence(clue, user=township, name="追缴凭证.jpg", content=b"\xff\xd8\xff\xe0 jpeg")
        clues.mark_rectified(
            clue, user=township, rectification_note="补充追缴凭证", funds_recovered=Decimal("4800")
        )
        clues.select_for_spot_check(clue, user=city_department)
        clues.pass_spot_check(clue, user=city_department, note="抽查属实")
    clue.refresh_from_db()
    assert clue.status == S.CLOSED and clue.closed_on == dt.date(2026, 3, 12)
    steps = list(
        StatusChange.objects.filter(content_type__model="clue", object_id=clue.pk).values_list(
            "transition", flat=True
        )
    )
    assert steps == [
        "open", "assign", "start_verifying", "confirm", "start_rectifying", "hold_accountable",
        "record_accountability", "rectified", "select_spot_check", "spot_check_fail", "rectified",
        "select_spot_check", "spot_check_pass",
    ]  # fmt: skip


def _verifying(cast, households, tree):
    made = clues.clues_from_warnings([comparison_hit(households["a"])], user=cast["supervisor"])
    clue = made.created[0]
    clues.assign(
        clue,
        user=cast["supervisor"],
        unit=tree.township,
        lead_official="王镇长",
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    return clues.start_verifying(clue, user=cast["township_officer"])


def test_unfounded_closure_needs_evidence(cast, households, tree):
    clue = _verifying(cast, households, tree)
    with pytest.raises(TransitionRefused, match="佐证材料"):
        clues.close_unfounded(clue, user=cast["township_officer"], verification_note="同名不同人")
    evidence.add_evidence(clue, user=cast["township_officer"], name="核查记录.pdf", content=PDF)
    clues.close_unfounded(clue, user=cast["township_officer"], verification_note="同名不同人")
    assert Clue.objects.get(pk=clue.pk).status == S.UNFOUNDED


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00", "不支持"),
        ("报告.pdf", b"MZ\x90\x00 renamed executable", "内容与扩展名"),
        ("../../etc/passwd.pdf", PDF, "路径"),
        ("dir\\核查.pdf", PDF, "路径"),
        ("大文件.pdf", PDF + b"0" * (10 * 1024 * 1024), "超过上限"),
    ],
)
def test_unsafe_uploads_are_refused(cast, households, tree, name, content, reason):
    clue = _verifying(cast, households, tree)
    with pytest.raises(ValidationError, match=reason):
        evidence.add_evidence(clue, user=cast["township_officer"], name=name, content=content)
    assert not clue.files.exists()


def test_overdue_escalation_fires_on_the_day_after_the_deadline(cast, households, tree):
    with time_machine.travel(DAY0, tick=False) as clock:
        clue = _verifying(cast, households, tree)
        deadline = clue.deadline
        clock.move_to(dt.datetime.combine(deadline, dt.time(10)))
        assert clues.escalate_overdue(dt.date.today()) == 0
        clock.shift(dt.timedelta(days=1))
        assert clues.escalate_overdue(dt.date.today()) == 1
        clue.refresh_from_db()
        assert clue.status == S.ESCALATED and clue.escalated_from == S.VERIFYING
        clues.resume(clue, user=cast["supervisor"], deadline=dt.date.today() + dt.timedelta(days=10))
        assert clue.status == S.VERIFYING


def test_a_township_sees_none_of_another_townships_clues(cast, households, tree):
    clue = _verifying(cast, households, tree)
    other = create_user("township_2", role="township", region_code=tree.township_2.code, password=PASSWORD)
    assert not clues.clues_visible_to(other).filter(pk=clue.pk).exists()
    with pytest.raises(Http404):
        clues.confirm(clue, user=other, classification="data_error", verification_note="x")


def test_steps_belong_to_their_roles(cast, households, tree, city_department):
    clue = _verifying(cast, households, tree)
    with pytest.raises(PermissionDenied):
        clues.confirm(clue, user=cast["supervisor"], classification="data_error", verification_note="越权")
    clues.confirm(
        clue, user=cast["township_officer"], classification="data_error", verification_note="录入错误"
    )
    clues.start_rectifying(clue, user=cast["township_officer"], actions=["correct_data"])
    with pytest.raises(TransitionRefused, match="违纪违规"):
        clues.hold_accountable(clue, user=cast["supervisor"])
    county_department = cast["medical_officer"]
    evidence.add_evidence(clue, user=cast["township_officer"], name="更正.pdf", content=PDF)
    clues.mark_rectified(clue, user=cast["township_officer"], rectification_note="已更正")
    with pytest.raises(Http404):  # a county department does not see a township's clue at all
        clues.select_for_spot_check(clue, user=county_department)
