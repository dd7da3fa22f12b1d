"""Assistance measures (spec §3.8, issue #5 part 3): a sub-type of its own category, a period that ends after it
starts, no negative amount, the developmental flag set by the category (never by the caller), only on approved
or enrolled cases, within the official's area, by the roles that may, and logged.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fangpin.assistance import services as assistance
from fangpin.assistance.choices import MeasureCategory
from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.models import ObjectChange
from fangpin.core.workflow import TransitionRefused
from fangpin.monitoring.services import cases
from fangpin.monitoring.tests.test_case_services import (
    D0,
    S,
    db_state,
    frozen_clock,
    new_case,
    step_to,
    today,
)


@pytest.fixture
def clock(tree):
    yield from frozen_clock()


# Spec §3.8: the four developmental (开发式) categories; the other ten are security/assistance measures.
DEVELOPMENTAL = {"industry", "employment", "finance", "public_post"}
# One sub-type per category taken from the spec's and the national system's examples.
EXAMPLE_SUBTYPE = {
    "industry": "种植业",
    "employment": "转移就业",
    "finance": "小额信贷",
    "public_post": "村级公益岗",
    "housing": "危房改造",
    "water": "集中供水工程",
    "health": "医疗救助",
    "compulsory_edu": "控辍保学劝返",
    "other_edu": "雨露计划",
    "comprehensive": "纳入低保",
    "social": "社会捐赠",
    "relocation": "易地扶贫搬迁",
    "living_conditions": "改厨改厕",
    "infrastructure": "道路",
}


@pytest.fixture
def enrolled(clock, cast, households):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.MONITORED)
    return case


def measure(case, user, **changes):
    fields = dict(
        category="health", subtype="医疗救助", amount=Decimal("3000"), start_on=today(), provider="县医保局"
    )
    fields.update(changes)
    return assistance.add_measure(case, user=user, **fields)


def refused(call, exc, match, case=None):
    state = db_state(case)
    with pytest.raises(exc) as info:
        call()
    text = " ".join(info.value.messages) if isinstance(info.value, ValidationError) else str(info.value)
    assert match in text, text
    assert db_state(case) == state


def test_there_are_fourteen_categories():
    assert set(MeasureCategory.values) == set(EXAMPLE_SUBTYPE)
    assert len(MeasureCategory.values) == 14


@pytest.mark.parametrize("category", sorted(EXAMPLE_SUBTYPE))
def test_developmental_follows_the_category(enrolled, cast, category):
    m = measure(enrolled, cast["township_officer"], category=category, subtype=EXAMPLE_SUBTYPE[category])
    assert AssistanceMeasure.objects.get(pk=m.pk).developmental is (category in DEVELOPMENTAL)


def test_the_caller_cannot_set_the_developmental_flag(enrolled, cast):
    m = measure(enrolled, cast["township_officer"], developmental=True)
    assert AssistanceMeasure.objects.get(pk=m.pk).developmental is False
    m = assistance.change_measure(m, user=cast["township_officer"], category="employment", subtype="转移就业")
    assert AssistanceMeasure.objects.get(pk=m.pk).developmental is True
    m = assistance.change_measure(m, user=cast["township_officer"], category="social", subtype="结对帮扶")
    assert AssistanceMeasure.objects.get(pk=m.pk).developmental is False


@pytest.mark.parametrize(
    "category, subtype",
    [
        ("health", "转移就业"),
        ("employment", "医疗救助"),
        ("other_edu", "小额信贷"),
        ("industry", "不存在的子项"),
    ],
)
def test_subtype_must_belong_to_the_category(enrolled, cast, category, subtype):
    refused(
        lambda: measure(enrolled, cast["township_officer"], category=category, subtype=subtype),
        ValidationError,
        f"“{subtype}”不是{MeasureCategory(category).label}的措施子项",
        enrolled,
    )


def test_unknown_category_is_refused(enrolled, cast):
    refused(
        lambda: measure(enrolled, cast["township_officer"], category="cash", subtype="其他"),
        ValidationError,
        "",
        enrolled,
    )


def test_end_must_not_be_before_start(enrolled, cast):
    refused(
        lambda: measure(enrolled, cast["township_officer"], end_on=today() - dt.timedelta(days=1)),
        ValidationError,
        "结束日期不能早于开始日期",
        enrolled,
    )
    same_day = measure(enrolled, cast["township_officer"], end_on=today())
    assert same_day.end_on == same_day.start_on


def test_change_cannot_break_the_rules_either(enrolled, cast):
    m = measure(enrolled, cast["township_officer"])
    refused(
        lambda: assistance.change_measure(m, user=cast["township_officer"], amount=Decimal("-1")),
        ValidationError,
        "金额不能为负数",
        enrolled,
    )
    stored = AssistanceMeasure.objects.get(pk=m.pk)
    assert stored.amount == Decimal("3000")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=st.decimals(min_value=-100000, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
)
def test_negative_amounts_are_refused_and_others_accepted(enrolled, cast, amount):
    with transaction.atomic():
        if amount < 0:
            with pytest.raises(ValidationError, match="金额不能为负数"):
                measure(enrolled, cast["township_officer"], amount=amount)
            assert not AssistanceMeasure.objects.exists()
        else:
            m = measure(enrolled, cast["township_officer"], amount=amount)
            assert AssistanceMeasure.objects.get(pk=m.pk).amount == amount
        transaction.set_rollback(True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    category=st.sampled_from(sorted(EXAMPLE_SUBTYPE)),
    other=st.sampled_from(sorted(EXAMPLE_SUBTYPE)),
    start=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31)),
    length=st.integers(min_value=-400, max_value=400),
)
def test_any_category_subtype_and_period(enrolled, cast, category, other, start, length):
    """A sub-type taken from another category's examples is refused (the examples are distinct except "其他");
    the period is accepted exactly when it does not end before it starts."""
    subtype = EXAMPLE_SUBTYPE[other]
    end = start + dt.timedelta(days=length)
    ok = other == category and end >= start
    with transaction.atomic():
        call = lambda: measure(  # noqa: E731
            enrolled, cast["township_officer"], category=category, subtype=subtype, start_on=start, end_on=end
        )
        if ok:
            m = call()
            assert m.developmental is (category in DEVELOPMENTAL)
        else:
            with pytest.raises(ValidationError):
                call()
            assert not AssistanceMeasure.objects.exists()
        transaction.set_rollback(True)


def test_provider_and_start_are_required(enrolled, cast):
    refused(lambda: measure(enrolled, cast["township_officer"], provider=""), ValidationError, "", enrolled)
    refused(lambda: measure(enrolled, cast["township_officer"], start_on=None), ValidationError, "", enrolled)


# ---------------------------------------------------------------- only on approved or enrolled cases


@pytest.mark.parametrize(
    "status", [S.CLUE, S.CHECKED, S.COMPARED, S.REVIEWED, S.NOTICE, S.NOTICED, S.AUDITED]
)
def test_no_measure_before_approval(clock, cast, households, status):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, status)
    refused(lambda: measure(case, cast["township_officer"]), TransitionRefused, "不能登记帮扶措施", case)


@pytest.mark.parametrize("status", [S.APPROVED, S.ANNOUNCED, S.MONITORED, S.ELIM_PROPOSED, S.ELIM_CHECKED])
def test_measures_from_approval_until_elimination(clock, cast, households, status):
    case = new_case(households["a"], cast)
    step_to(case, cast, clock, status)
    m = measure(case, cast["township_officer"], start_on=D0)
    assert m.case_id == case.pk and m.created_by == cast["township_officer"]


def test_no_measure_on_a_rejected_or_eliminated_case(clock, cast, households):
    rejected = cases.open_case(households["b"], user=cast["village_cadre_b"], channel="cadre")
    assistance_user = cast["township_officer"]
    cases.reject_case(rejected, user=cast["village_cadre_b"], reason="不符合条件")
    refused(lambda: measure(rejected, assistance_user), TransitionRefused, "不予纳入", rejected)

    case = new_case(households["a"], cast)
    step_to(case, cast, clock, S.ELIMINATED)
    [m, *_] = case.measures.all()
    refused(lambda: measure(case, assistance_user), TransitionRefused, "风险已消除", case)
    refused(
        lambda: assistance.change_measure(m, user=assistance_user, amount=Decimal("1")),
        TransitionRefused,
        "风险已消除",
        case,
    )
    refused(lambda: assistance.delete_measure(m, user=assistance_user), TransitionRefused, "风险已消除", case)


# ---------------------------------------------------------------- scope and permissions


@pytest.mark.parametrize("user", ["village_cadre", "township_officer", "county_officer", "medical_officer"])
def test_roles_that_may_record_measures(enrolled, cast, user):
    m = measure(enrolled, cast[user])
    logged = ObjectChange.objects.filter(content_type__model="assistancemeasure", object_id=m.pk)
    assert logged.filter(action="create", user=cast[user]).count() == 1


@pytest.mark.parametrize("user", ["supervisor", "leader", "city_admin"])
def test_read_only_roles_cannot_record_measures(enrolled, cast, user):
    refused(lambda: measure(enrolled, cast[user]), PermissionDenied, "您没有权限", enrolled)
    m = measure(enrolled, cast["township_officer"])
    refused(
        lambda: assistance.change_measure(m, user=cast[user], amount=Decimal("1")),
        PermissionDenied,
        "您没有权限",
        enrolled,
    )
    refused(lambda: assistance.delete_measure(m, user=cast[user]), PermissionDenied, "您没有权限", enrolled)


@pytest.mark.parametrize("user", ["village_cadre_b", "outsider"])
def test_out_of_scope_measures_are_not_found(enrolled, cast, user):
    refused(lambda: measure(enrolled, cast[user]), Http404, "", enrolled)
    m = measure(enrolled, cast["township_officer"])
    refused(lambda: assistance.change_measure(m, user=cast[user], amount=Decimal("1")), Http404, "", enrolled)
    refused(lambda: assistance.delete_measure(m, user=cast[user]), Http404, "", enrolled)
    assert AssistanceMeasure.objects.get(pk=m.pk).amount == Decimal("3000")


def test_change_and_delete_are_logged(enrolled, cast):
    officer = cast["township_officer"]
    m = measure(enrolled, officer)
    assistance.change_measure(m, user=officer, amount=Decimal("4500"), end_on=today() + dt.timedelta(days=90))
    update = ObjectChange.objects.get(
        content_type__model="assistancemeasure", object_id=m.pk, action="update"
    )
    assert update.user == officer
    assert (Decimal(update.before["amount"]), Decimal(update.after["amount"])) == (3000, 4500)
    pk = m.pk
    assistance.delete_measure(m, user=officer)
    assert not AssistanceMeasure.objects.filter(pk=pk).exists()
    assert ObjectChange.objects.filter(
        content_type__model="assistancemeasure", object_id=pk, action="delete", user=officer
    ).exists()
