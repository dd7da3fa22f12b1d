"""The monitoring-case API: the whole path (warning → clue → enrolled → measures → eliminated) with the right
official for each step, every kind of refusal with its status and Chinese reason, and two officials acting on
the same case at once."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from fangpin.accounts.services import create_user
from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.models import StatusChange
from fangpin.core.testing import PASSWORD
from fangpin.monitoring import services
from fangpin.monitoring.models import MonitoringCase, ScreeningRun, Warning
from fangpin.monitoring.services import cases
from fangpin.registry.models import HouseholdIncome

S = MonitoringCase.Status
DAY0 = dt.datetime(2026, 1, 5, 9, 0)
CHECK = {
    "category": "unstable_exited",
    "risks": ["illness"],
    "checked_on": "2026-01-05",
    "consent_signed_on": "2026-01-05",
    "housing_unsafe": False,
    "dropout": False,
    "uninsured_member": False,
    "water_unsafe": False,
}
AFTER = {
    "after_dropout": False,
    "after_housing_damaged": False,
    "after_uninsured": False,
    "after_water_damaged": False,
    "after_wage": "30000",
    "after_property": "0",
    "after_transfer": "2000",
    "after_business": "5000",
    "after_business_cost": "1000",
    "after_net_income": "36000",
    "after_claims_income": "0",
    "after_out_of_pocket": "2000",
}


@pytest.fixture
def clock(tree):
    services.load_default_parameters()
    with time_machine.travel(DAY0, tick=False) as traveller:
        yield traveller


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(user, case, step, data=None):
    return api(user).post(f"/api/cases/{case.pk}/{step}/", data or {}, format="json")


def ok(response, code=200):
    assert response.status_code == code, response.content.decode()
    return response.json()


def refused(response, code, text):
    body = response.content.decode()
    assert response.status_code == code and text in body, (response.status_code, body)


def make_warning(household, code="JC-01"):
    run = ScreeningRun.objects.create(region=household.region, as_of=dt.date(2026, 1, 4), status="done")
    now = timezone.now()
    return Warning.objects.create(
        rule_code=code, rule_set="monitoring", rule_version="1", rule_title="家庭人均纯收入低于监测范围",
        produces="warning", severity="high", subject_key=f"h{household.pk}", household=household,
        as_of=run.as_of, explanation="人均纯收入低于监测范围", raised_by=run, last_seen_by=run,
        first_seen_at=now, last_seen_at=now,
    )  # fmt: skip


def to_status(case, cast, target, clock):
    """Drive `case` with the services (not under test here) up to `target`, one owner per step."""
    village, township, county = cast["village_cadre"], cast["township_officer"], cast["county_officer"]
    steps = [
        (S.CHECKED, lambda: cases.record_check(case, user=village, **{**CHECK, "checked_on": dt.date(2026, 1, 5),
                                                                        "consent_signed_on": dt.date(2026, 1, 5)})),
        (S.COMPARED, lambda: cases.record_comparison(case, user=county, result="比对无异常")),
        (S.REVIEWED, lambda: cases.record_review(case, user=village, reviewed_on=dt.date(2026, 1, 5), minutes="同意")),
        (S.NOTICE, lambda: cases.start_notice(case, user=village)),
        (S.NOTICED, lambda: (clock.shift(dt.timedelta(days=5)), cases.end_notice(case, user=village))),
        (S.AUDITED, lambda: cases.audit_case(case, user=township)),
        (S.APPROVED, lambda: cases.approve_case(case, user=county)),
        (S.ANNOUNCED, lambda: cases.announce_case(case, user=township)),
        (S.MONITORED, lambda: (
            cases.assign_cadre(case, user=township, cadre=village, contact="张建国", contact_phone="13972100001"),
            cases.record_case(case, user=county),
        )),
    ]  # fmt: skip
    reached = [status for status, _ in steps]
    start = reached.index(case.status) + 1 if case.status in reached else 0
    for status, step in steps[start:]:
        if case.status == target:
            break
        step()
        assert case.status == status
    return case


def test_warning_to_eliminated_through_the_api(clock, cast, households):
    village, township, county = cast["village_cadre"], cast["township_officer"], cast["county_officer"]
    household = households["a"]
    warning = make_warning(household)

    body = ok(api(village).post("/api/cases/bulk-clues/", {"warnings": [warning.pk]}, format="json"), 201)
    assert body["attached"] == 0 and body["skipped"] == [] and len(body["created"]) == 1
    case = MonitoringCase.objects.get(pk=body["created"][0]["id"])
    assert case.status == S.CLUE and list(case.warnings.all()) == [warning] and case.channel == "department"

    detail = ok(api(village).get(f"/api/cases/{case.pk}/"))
    assert detail["status_display"] == "线索待入户核实"
    assert {a["name"] for a in detail["actions"]} == {"check", "reject"}
    # The county may reject, but not while the case waits for the village's check: nothing is offered.
    assert ok(api(county).get(f"/api/cases/{case.pk}/"))["actions"] == []

    detail = ok(post(village, case, "check", CHECK))
    assert detail["status"] == "checked" and detail["risk_labels"] == ["因病"]
    assert detail["per_capita_income"] == str(household.per_capita_income)
    ok(post(county, case, "compare", {"result": "比对无异常"}))
    ok(post(village, case, "review", {"reviewed_on": "2026-01-05", "minutes": "村民代表会议一致同意纳入"}))
    detail = ok(post(village, case, "start-notice"))
    assert detail["notice_days"] == 5 and detail["notice_ends"] == "2026-01-10"
    end = next(a for a in detail["actions"] if a["name"] == "end_notice")
    assert end["blocked_by"].startswith("公示期未满")
    refused(
        post(village, case, "end-notice"),
        400,
        "公示期未满：2026-01-05 起公示 5 天，2026-01-10 起方可结束公示",
    )
    clock.shift(dt.timedelta(days=5))
    ok(post(village, case, "end-notice"))
    ok(post(township, case, "audit", {"comment": "材料齐全"}))
    ok(post(county, case, "approve"))
    ok(post(township, case, "announce"))
    refused(post(county, case, "record"), 400, "录入前须指定帮扶责任人和监测联系人")
    detail = ok(
        post(township, case, "assign-cadre", {"cadre": village.pk, "unit": "县人社局", "contact": "张建国",
                                              "contact_phone": "139 7210 0001"})
    )  # fmt: skip
    assert detail["cadre_name"] == str(village) and detail["monitoring_contact_phone"] == "13972100001"
    detail = ok(post(county, case, "record"))
    assert detail["status"] == "monitored" and detail["identified_month"] == "202601"

    clock.shift(dt.timedelta(days=40))
    detail = ok(api(village).get(f"/api/cases/{case.pk}/"))
    assert [a["code"] for a in detail["alerts"]] == ["no_measure"]
    criteria = {c["code"]: c for c in detail["elimination_criteria"]}
    assert criteria["months"]["passed"] is False and "2026-01-10 录入监测" in criteria["months"]["reason"]
    assert criteria["measures"] == {
        "code": "measures", "title": "至少落实 1 项帮扶措施", "passed": False, "reason": "尚未登记帮扶措施",
    }  # fmt: skip
    measure = {"case": case.pk, "category": "health", "subtype": "医疗救助", "amount": "3000",
               "start_on": str(dt.date.today()), "provider": "县医保局"}  # fmt: skip
    created = ok(api(cast["medical_officer"]).post("/api/measures/", measure, format="json"), 201)
    assert created["developmental"] is False and created["category_display"] == "健康帮扶"
    created = ok(
        api(township).post(
            "/api/measures/",
            {**measure, "category": "employment", "subtype": "转移就业", "provider": "县人社局"},
            format="json",
        ),
        201,
    )
    assert created["developmental"] is True
    assert {m["category"] for m in ok(api(village).get(f"/api/measures/?case={case.pk}"))["results"]} == {
        "health", "employment",
    }  # fmt: skip
    assert [m["id"] for m in ok(api(village).get("/api/measures/?category=employment"))["results"]] == [
        created["id"]
    ]
    assert ok(api(village).get(f"/api/cases/{case.pk}/"))["alerts"] == []
    ok(api(village).post(f"/api/cases/{case.pk}/visits/", {"visited_on": str(dt.date.today()),
                                                         "findings": "病情稳定"}, format="json"), 201)  # fmt: skip
    assert [v["findings"] for v in ok(api(township).get(f"/api/cases/{case.pk}/visits/"))] == ["病情稳定"]

    refused(
        post(village, case, "propose-elimination", {"method": "assisted", **AFTER}), 400, "监测帮扶满 6 个月"
    )
    assert MonitoringCase.objects.get(pk=case.pk).after_wage is None  # refused: nothing written

    clock.shift(dt.timedelta(days=160))
    HouseholdIncome.objects.create(
        household=household, year=2026, wage=Decimal("30000"), business=Decimal("5000"),
        transfer=Decimal("2000"), business_cost=Decimal("1000"),
    )  # fmt: skip
    detail = ok(post(village, case, "propose-elimination", {"method": "assisted", **AFTER}))
    assert detail["status"] == "elim_proposed" and detail["after_per_capita_income"] == "18000.00"
    assert all(c["passed"] for c in detail["elimination_criteria"]), detail["elimination_criteria"]
    ok(post(village, case, "elim-review", {"reviewed_on": str(dt.date.today()), "minutes": "评议通过"}))
    ok(post(village, case, "elim-start-notice"))
    refused(post(village, case, "elim-end-notice"), 400, "公示期未满")
    clock.shift(dt.timedelta(days=5))
    ok(post(village, case, "elim-end-notice"))
    ok(post(township, case, "elim-check"))
    detail = ok(post(county, case, "elim-approve", {"comment": "同意消除"}))
    assert detail["status"] == "eliminated" and detail["eliminated_month"] == "202608"
    assert detail["actions"] == [] and detail["elimination_criteria"] == []

    history = ok(api(cast["supervisor"]).get(f"/api/cases/{case.pk}/history/"))
    assert [h["transition"] for h in history] == [
        "open", "check", "compare", "review", "start_notice", "end_notice", "audit", "approve", "announce", "record",
        "propose_elimination", "elim_review", "elim_start_notice", "elim_end_notice", "elim_check", "elim_approve",
    ]  # fmt: skip
    assert history[-1] == {
        "time": history[-1]["time"], "transition": "elim_approve", "transition_label": "县级审定风险消除",
        "from_status": "elim_checked", "from_label": "乡镇已核查，待县级审定", "to_status": "eliminated",
        "to_label": "风险已消除", "user": str(county), "comment": "同意消除",
    }  # fmt: skip

    # A new risk opens a new case through POST /api/cases/, pointing back to this one.
    again = ok(api(village).post("/api/cases/", {"household": household.pk, "channel": "self_report",
                                                 "clue_note": "农户申报"}, format="json"), 201)  # fmt: skip
    assert again["previous_case"] == case.pk and again["status"] == "clue"


def test_wrong_role_and_level_is_403_with_the_step_named(clock, cast, households):
    case = cases.open_case(households["a"], user=cast["village_cadre"], channel="cadre")
    for username, step in [
        ("township_officer", "check"),  # another level's step
        ("county_officer", "check"),
        ("medical_officer", "check"),  # a department never takes workflow steps
        ("leader", "reject"),
        ("supervisor", "check"),
    ]:
        refused(post(cast[username], case, step, CHECK), 403, "您没有权限")
    refused(post(cast["county_officer"], case, "check", CHECK), 403, "您没有权限执行“入户核实”")
    refused(post(cast["leader"], case, "assign-cadre", {"contact": "x"}), 403, "您没有权限指定帮扶责任人")
    refused(
        post(cast["supervisor"], case, "visits", {"visited_on": "2026-01-05", "findings": "x"}), 403, "走访"
    )
    refused(
        api(cast["medical_officer"]).post(
            "/api/cases/", {"household": households["a"].pk, "channel": "cadre"}
        ),
        403,
        "",
    )
    refused(api(cast["leader"]).post("/api/cases/bulk-clues/", {"warnings": [1]}, format="json"), 403, "")
    assert MonitoringCase.objects.get(pk=case.pk).status == S.CLUE
    assert StatusChange.objects.filter(object_id=case.pk, content_type__model="monitoringcase").count() == 1

    to_status(case, cast, S.AUDITED, clock)
    refused(post(cast["village_cadre"], case, "approve"), 403, "您没有权限执行“县级审定通过”")
    refused(post(cast["township_officer"], case, "reject", {"reason": "x"}), 400, "不由您办理")
    assert MonitoringCase.objects.get(pk=case.pk).status == S.AUDITED
    measure = {"case": case.pk, "category": "health", "subtype": "医疗救助", "start_on": "2026-01-10",
               "provider": "县医保局"}  # fmt: skip
    refused(api(cast["leader"]).post("/api/measures/", measure, format="json"), 403, "")


def test_broken_invariants_are_400_with_the_reason(clock, cast, households):
    village, county = cast["village_cadre"], cast["county_officer"]
    case = cases.open_case(households["a"], user=village, channel="cadre")
    refused(post(county, case, "approve"), 400, "当前状态为“线索待入户核实”，不能执行“县级审定通过”")
    refused(
        post(village, case, "check", {**CHECK, "consent_signed_on": None}),
        400,
        "未登记农户签署《承诺授权书》",
    )
    refused(post(village, case, "check", {**CHECK, "category": "edge_vulnerable"}), 400, "要求户类型为")
    refused(post(village, case, "check", {**CHECK, "risks": ["other"]}), 400, "必须填写风险备注")
    refused(
        post(village, case, "check", {**CHECK, "checked_on": "2026-02-01"}), 400, "入户核实日期不能晚于今天"
    )
    refused(post(village, case, "check", {**CHECK, "category": "nonsense"}), 400, "category")
    refused(post(village, case, "reject"), 400, "执行“不予纳入”必须填写意见或原因")
    after = MonitoringCase.objects.get(pk=case.pk)
    assert (after.status, after.category, after.risks, after.consent_signed_on) == (S.CLUE, "", [], None)
    refused(
        api(village).post(
            "/api/cases/", {"household": households["a"].pk, "channel": "cadre"}, format="json"
        ),
        400,
        f"该户已有监测对象记录 #{case.pk}（线索待入户核实），不能重复登记",
    )
    refused(api(village).post(f"/api/cases/{case.pk}/visits/", {"visited_on": "2026-01-05", "findings": "x"},
                              format="json"), 400, "只有监测帮扶中的户可以登记走访记录")  # fmt: skip
    measure = {"case": case.pk, "category": "health", "subtype": "医疗救助", "start_on": "2026-01-05",
               "provider": "县医保局"}  # fmt: skip
    refused(api(village).post("/api/measures/", measure, format="json"), 400, "不能登记帮扶措施")
    refused(
        post(village, case, "objections", {"received_on": "2026-01-05", "content": "x"}), 400, "只有公示期间"
    )

    ok(post(village, case, "check", CHECK))
    refused(post(county, case, "compare"), 400, "执行“完成部门数据比对”必须填写意见或原因")
    ok(post(county, case, "compare", {"result": "比对无异常"}))
    refused(
        post(village, case, "review", {"reviewed_on": "2026-01-05"}), 400, "民主评议须填写评议日期和会议记录"
    )
    ok(post(village, case, "review", {"reviewed_on": "2026-01-05", "minutes": "同意"}))
    ok(post(village, case, "start-notice"))

    # An objection keeps the notice open until it is handled; an upheld one blocks it for good.
    objection = ok(
        post(village, case, "objections", {"received_on": "2026-01-05", "content": "收入不实"}), 201
    )
    assert objection["stage"] == "notice" and objection["outcome"] == "pending"
    clock.shift(dt.timedelta(days=5))
    refused(post(village, case, "end-notice"), 400, "公示期间有 1 条异议尚未处理")
    handle = f"objections/{objection['id']}/handle"
    refused(post(village, case, handle, {"outcome": "dismissed"}), 400, "请填写核查处理情况")
    refused(
        post(cast["leader"], case, handle, {"outcome": "dismissed", "handling": "x"}), 403, "处理公示异议"
    )
    handled = ok(post(village, case, handle, {"outcome": "dismissed", "handling": "经核实收入属实"}))
    assert handled["outcome_display"] == "异议不成立"
    assert [o["outcome"] for o in ok(api(county).get(f"/api/cases/{case.pk}/objections/"))] == ["dismissed"]
    assert (
        api(village).post(f"/api/cases/{case.pk}/objections/99999/handle/", {}, format="json").status_code
        == 404
    )
    ok(post(village, case, "end-notice"))


def test_elimination_criteria_unmet_are_400_with_each_reason(clock, cast, households):
    village = cast["village_cadre"]
    case = to_status(
        cases.open_case(households["a"], user=village, channel="cadre"), cast, S.MONITORED, clock
    )
    clock.shift(dt.timedelta(days=200))
    response = post(village, case, "propose-elimination", {"method": "assisted", "after_wage": "100"})
    refused(response, 400, "不符合风险消除条件")
    for reason in ("至少落实 1 项帮扶措施（尚未登记帮扶措施）", "风险消除后指标已填写（未填写："):
        assert reason in response.json()["non_field_errors"][0]
    refused(post(village, case, "propose-elimination", {**AFTER}), 400, "请选择风险消除方式")
    refused(post(village, case, "propose-elimination", {"method": "assisted", **AFTER, "after_net_income": "9"}),
            400, "风险消除后家庭纯收入 9.00 元与各项收入减生产经营性支出之和")  # fmt: skip
    stored = MonitoringCase.objects.get(pk=case.pk)
    assert stored.status == S.MONITORED and stored.after_wage is None and stored.elimination_method == ""


def second_official(name, role, region):
    return create_user(name, role=role, region_code=region.code, password=PASSWORD)


def interleave(monkeypatch, service_name, other_request):
    """Run `other_request` after the next call of `service_name` loaded its case and before it writes: two
    officials who opened the same page, the other one pressing the button first."""
    real = getattr(cases, service_name)
    results, started = [], []

    def late(case, **kwargs):
        if not started:  # only the first caller waits; the other official's own call goes straight through
            started.append(True)
            results.append(other_request())
        return real(case, **kwargs)

    monkeypatch.setattr(cases, service_name, late)
    return results


def test_two_officials_at_once_one_wins_the_other_gets_409(clock, cast, households, tree, monkeypatch):
    village = cast["village_cadre"]
    colleague = second_official("village_cadre_2", "village", tree.village_a)
    case = to_status(cases.open_case(households["a"], user=village, channel="cadre"), cast, S.COMPARED, clock)

    first = interleave(
        monkeypatch,
        "record_review",
        lambda: post(colleague, case, "review", {"reviewed_on": "2026-01-05", "minutes": "第一份记录"}),
    )
    late = post(village, case, "review", {"reviewed_on": "2026-01-05", "minutes": "第二份记录"})
    assert first[0].status_code == 200, first[0].content.decode()
    refused(late, 409, "该记录已被他人修改，请刷新页面后重试")
    stored = MonitoringCase.objects.get(pk=case.pk)
    assert (stored.status, stored.review_minutes, stored.reviewed_on) == (
        S.REVIEWED,
        "第一份记录",
        dt.date(2026, 1, 5),
    )
    reviews = StatusChange.objects.filter(
        object_id=case.pk, content_type__model="monitoringcase", transition="review"
    )
    assert [r.user_id for r in reviews] == [colleague.pk]

    # Approve and reject at once at the county: the approval lands, the rejection leaves no trace.
    monkeypatch.undo()
    case.refresh_from_db()
    to_status(case, cast, S.AUDITED, clock)
    county_2 = second_official("county_officer_2", "county", tree.county)
    first = interleave(
        monkeypatch, "reject_case", lambda: post(county_2, case, "approve", {"comment": "同意"})
    )
    late = post(cast["county_officer"], case, "reject", {"reason": "收入核实不符"})
    assert first[0].status_code == 200
    refused(late, 409, "该记录已被他人修改")
    assert MonitoringCase.objects.get(pk=case.pk).status == S.APPROVED
    assert not StatusChange.objects.filter(object_id=case.pk, transition="reject").exists()


def test_list_filters(clock, cast, households):
    county = cast["county_officer"]
    a = to_status(
        cases.open_case(households["a"], user=cast["village_cadre"], channel="cadre"), cast, S.CHECKED, clock
    )
    c = cases.open_case(households["c"], user=county, channel="department")

    def ids(query):
        return {row["id"] for row in ok(api(county).get(f"/api/cases/?{query}"))["results"]}

    assert ids("") == {a.pk, c.pk}
    assert ids("status=checked") == {a.pk}
    assert ids("status=checked&status=clue") == {a.pk, c.pk}
    assert ids("category=unstable_exited") == {a.pk}
    assert ids(f"region={households['c'].region.code}") == {c.pk}
    assert ids(f"region={households['a'].region.parent.code}") == {a.pk}
    assert ids(f"household={households['c'].pk}") == {c.pk}
    assert ids(f"household={households['d'].pk}") == set()
    assert ids("overdue=true") == set()
    clock.shift(dt.timedelta(days=60))
    assert ids("overdue=true") == {a.pk, c.pk}
    row = ok(api(county).get(f"/api/cases/?household={households['c'].pk}"))["results"][0]
    assert row["overdue_reasons"] and "超过" in row["overdue_reasons"][0]
    assert row["status_display"] == "线索待入户核实" and row["channel_display"] == "部门筛查预警"


def test_bulk_clues_attach_and_skip(clock, cast, households):
    township = cast["township_officer"]
    existing = cases.open_case(households["a"], user=township, channel="cadre")
    wa, wb = make_warning(households["a"]), make_warning(households["b"])
    resolved = make_warning(households["b"], code="JC-02")
    Warning.objects.filter(pk=resolved.pk).update(status="resolved")
    body = ok(api(township).post("/api/cases/bulk-clues/", {"warnings": [wa.pk, wb.pk, resolved.pk]},
                                 format="json"), 201)  # fmt: skip
    assert body["attached"] == 1 and [c["household"] for c in body["created"]] == [households["b"].pk]
    assert len(body["skipped"]) == 1 and "不是待核实的监测预警" in body["skipped"][0]
    assert list(existing.warnings.all()) == [wa]
    refused(api(township).post("/api/cases/bulk-clues/", {"warnings": []}, format="json"), 400, "warnings")


def test_measures_change_and_delete(clock, cast, households):
    village = cast["village_cadre"]
    case = to_status(
        cases.open_case(households["a"], user=village, channel="cadre"), cast, S.MONITORED, clock
    )
    other = to_status(cases.open_case(households["b"], user=cast["village_cadre_b"], channel="cadre"), cast, S.CLUE,
                      clock)  # fmt: skip
    data = {"case": case.pk, "category": "industry", "subtype": "养殖业", "start_on": "2026-01-10",
            "provider": "县农业农村局", "amount": "5000"}  # fmt: skip
    created = ok(api(village).post("/api/measures/", data, format="json"), 201)
    url = f"/api/measures/{created['id']}/"
    refused(api(village).patch(url, {"subtype": "电商平台"}, format="json"), 400, "不是产业帮扶的措施子项")
    refused(api(village).patch(url, {"end_on": "2026-01-01"}, format="json"), 400, "结束日期不能早于开始日期")
    refused(api(village).patch(url, {"amount": "-1"}, format="json"), 400, "金额不能为负数")
    refused(api(cast["township_officer"]).patch(url, {"case": other.pk}, format="json"), 400, "不能改挂")
    assert (
        ok(api(village).patch(url, {"subtype": "电商", "amount": "6000"}, format="json"))["amount"]
        == "6000.00"
    )
    refused(api(cast["supervisor"]).delete(url), 403, "")
    assert api(village).delete(url).status_code == 204
    assert not AssistanceMeasure.objects.filter(case=case).exists()
