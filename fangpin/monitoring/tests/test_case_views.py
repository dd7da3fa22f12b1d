"""The monitoring-case pages: every step posted through the web by the role that owns it, refused steps shown
with their Chinese reason and changing nothing, roles without the permission refused (403), the clue pages,
the worklist on the home page, unvisited households and cadre reassignment."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.models import StatusChange
from fangpin.core.testing import PASSWORD
from fangpin.monitoring import services
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit, Warning
from fangpin.monitoring.services import cases

S = MonitoringCase.Status
DAY0 = dt.datetime(2026, 1, 5, 9, 0)


@pytest.fixture
def params(tree):
    services.load_default_parameters()


def warn(tree, households):
    """Screen the city with every household's income at 6,000 yuan and a seriously ill head: each household
    gets an open JC-01 monitoring warning."""
    for h in households.values():
        income = h.incomes.get(year=2025)
        income.wage, income.business, income.transfer, income.business_cost = Decimal("6000"), 0, 0, 0
        income.save()
        head = h.members.get(relation="head")
        head.serious_illness = True
        head.save()
        h.refresh_summary()
    run = services.start_run(user=None, region=tree.city, as_of=dt.date(2026, 6, 30), source="test")
    services.execute_run(run)
    return {
        key: Warning.objects.get(household=h, rule_code="JC-01", produces=Warning.Produces.WARNING)
        for key, h in households.items()
    }


def as_user(client, username):
    client.logout()
    client.login(username=username, password=PASSWORD)
    return client


def step(client, case, name, **data):
    """POST a workflow step's form (fields carry the step's prefix)."""
    url = reverse("monitoring:case_step", args=[case.pk, name])
    payload = {}
    for key, value in data.items():
        payload[f"{name}-{key}"] = value
    return client.post(url, payload)


def status(case):
    return MonitoringCase.objects.get(pk=case.pk).status


def refused(response, text):
    body = response.content.decode()
    assert response.status_code == 200, response.status_code
    assert text in body, body[:3000]


CHECK = {
    "checked_on": "2026-01-05",
    "consent_signed_on": "2026-01-05",
    "category": "unstable_exited",
    "risks": ["illness"],
    "risk_tier": "medium",
    "housing_unsafe": "false",
    "dropout": "false",
    "uninsured_member": "false",
    "water_unsafe": "false",
}
AFTER = {
    "method": "assisted",
    "after_dropout": "false",
    "after_housing_damaged": "false",
    "after_uninsured": "false",
    "after_water_damaged": "false",
    "after_wage": "30000",
    "after_business": "5000",
    "after_property": "0",
    "after_transfer": "2000",
    "after_business_cost": "1000",
    "after_net_income": "36000",
    "after_claims_income": "0",
    "after_out_of_pocket": "2000",
}


def test_whole_path_through_the_web(client, params, cast, households):
    household = households["a"]
    with time_machine.travel(DAY0, tick=False) as traveller:
        as_user(client, "village_cadre")
        page = client.get(household.get_absolute_url()).content.decode()
        assert "登记监测线索" in page
        response = client.post(
            reverse("monitoring:case_open", args=[household.pk]),
            {"channel": "cadre", "clue_note": "走访发现"},
        )
        case = MonitoringCase.objects.get(household=household)
        assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
        again = client.post(reverse("monitoring:case_open", args=[household.pk]), {"channel": "cadre"})
        refused(again, "不能重复登记")
        assert MonitoringCase.objects.filter(household=household).count() == 1

        detail = client.get(case.get_absolute_url()).content.decode()
        assert "入户核实" in detail and "线索待入户核实" in detail

        too_many = dict(
            CHECK, risks=["illness", "education", "disability", "accident", "other", "lack_of_labour"]
        )
        refused(step(client, case, "check", **too_many), "致贫返贫风险最多 5 项")
        refused(step(client, case, "check", **dict(CHECK, category="edge_vulnerable")), "要求户类型为")
        assert status(case) == S.CLUE
        assert step(client, case, "check", **CHECK).status_code == 302
        assert status(case) == S.CHECKED

        as_user(client, "county_officer")
        refused(step(client, case, "compare", result=""), "必须填写意见或原因")
        assert step(client, case, "compare", result="医保、民政数据比对无异常").status_code == 302

        as_user(client, "village_cadre")
        refused(step(client, case, "review", reviewed_on="2026-01-05", minutes=""), "会议记录")
        assert step(client, case, "review", reviewed_on="2026-01-05", minutes="一致同意").status_code == 302
        assert step(client, case, "start_notice", start="2026-01-05").status_code == 302
        refused(step(client, case, "end_notice"), "公示期未满")
        response = client.post(
            reverse("monitoring:case_objection_add", args=[case.pk]),
            {
                "objection-received_on": "2026-01-05",
                "objection-raised_by": "村民王某",
                "objection-content": "收入不低",
            },
        )
        assert response.status_code == 302
        objection = CaseObjection.objects.get(case=case)
        traveller.shift(dt.timedelta(days=5))
        as_user(client, "village_cadre")  # sessions last 8 hours: each jump of the clock logs in again
        refused(step(client, case, "end_notice"), "异议尚未处理")
        response = client.post(
            reverse("monitoring:case_objection_handle", args=[case.pk, objection.pk]),
            {
                f"handle-{objection.pk}-outcome": "dismissed",
                f"handle-{objection.pk}-handling": "经核实收入确实下降",
            },
        )
        assert response.status_code == 302
        assert step(client, case, "end_notice").status_code == 302

        as_user(client, "township_officer")
        assert step(client, case, "audit", comment="同意").status_code == 302
        as_user(client, "county_officer")
        assert step(client, case, "approve").status_code == 302
        as_user(client, "township_officer")
        assert step(client, case, "announce", announced_on="2026-01-10").status_code == 302
        as_user(client, "county_officer")
        refused(step(client, case, "record"), "录入前须指定帮扶责任人和监测联系人")
        assert status(case) == S.ANNOUNCED
        response = client.post(
            reverse("monitoring:case_cadre", args=[case.pk]),
            {
                "cadre-cadre": cast["village_cadre"].pk,
                "cadre-unit": "县医保局",
                "cadre-contact": "张建国",
                "cadre-contact_phone": "13972100001",
            },
        )
        assert response.status_code == 302
        assert step(client, case, "record").status_code == 302
        assert status(case) == S.MONITORED

        # Measures: the alert fires a month after recording, and clears once a measure is added.
        traveller.shift(dt.timedelta(days=40))
        as_user(client, "village_cadre")
        assert "识别后未落实帮扶措施" in client.get(case.get_absolute_url()).content.decode()
        add = reverse("monitoring:case_measure_add", args=[case.pk])
        assert client.get(add).status_code == 200
        measure_data = {
            "category": "health",
            "subtype": "医疗救助",
            "amount": "3000",
            "start_on": "2026-02-14",
            "provider": "县医保局",
        }
        refused(client.post(add, dict(measure_data, subtype="转移就业")), "不是健康帮扶的措施子项")
        assert client.post(add, measure_data).status_code == 302
        client.post(add, dict(measure_data, category="employment", subtype="转移就业", provider="县人社局"))
        client.post(add, dict(measure_data, category="social", subtype="其他", provider="x"))
        assert AssistanceMeasure.objects.filter(case=case).count() == 3
        measure = AssistanceMeasure.objects.get(case=case, category="health")
        edit = reverse("monitoring:case_measure_edit", args=[case.pk, measure.pk])
        assert client.post(edit, dict(measure_data, amount="3500")).status_code == 302
        assert AssistanceMeasure.objects.get(pk=measure.pk).amount == Decimal("3500")
        spare = AssistanceMeasure.objects.get(case=case, category="social")
        client.post(reverse("monitoring:case_measure_delete", args=[case.pk, spare.pk]))
        assert not AssistanceMeasure.objects.filter(pk=spare.pk).exists()
        assert "识别后未落实帮扶措施" not in client.get(case.get_absolute_url()).content.decode()

        response = client.post(
            reverse("monitoring:case_visit_add", args=[case.pk]),
            {"visit-visited_on": "2026-02-14", "visit-method": "home", "visit-findings": "病情稳定"},
        )
        assert response.status_code == 302 and Visit.objects.filter(case=case).count() == 1

        # Elimination: refused before six months, with the criterion named; the form keeps what was typed.
        response = step(client, case, "propose_elimination", **AFTER)
        refused(response, "监测帮扶满 6 个月")
        assert 'value="36000"' in response.content.decode()
        assert status(case) == S.MONITORED
        assert MonitoringCase.objects.get(pk=case.pk).after_wage is None
        page = client.get(case.get_absolute_url()).content.decode()
        assert "✗ <strong>监测帮扶满 6 个月</strong>" in page

        traveller.shift(dt.timedelta(days=160))
        as_user(client, "village_cadre")
        assert step(client, case, "propose_elimination", **AFTER).status_code == 302
        assert (
            step(
                client, case, "elim_review", reviewed_on=dt.date.today().isoformat(), minutes="评议通过"
            ).status_code
            == 302
        )
        assert step(client, case, "elim_start_notice", start=dt.date.today().isoformat()).status_code == 302
        refused(step(client, case, "elim_end_notice"), "公示期未满")
        traveller.shift(dt.timedelta(days=5))
        as_user(client, "village_cadre")
        assert step(client, case, "elim_end_notice").status_code == 302
        as_user(client, "township_officer")
        assert step(client, case, "elim_check").status_code == 302
        as_user(client, "county_officer")
        assert step(client, case, "elim_approve").status_code == 302
        assert status(case) == S.ELIMINATED

        # A new risk: a new case, pointing back; the page lists the previous one.
        as_user(client, "village_cadre")
        client.post(reverse("monitoring:case_open", args=[household.pk]), {"channel": "self_report"})
        new = MonitoringCase.objects.exclude(pk=case.pk).get(household=household)
        assert new.previous_case_id == case.pk
        assert "（上一次监测）" in client.get(new.get_absolute_url()).content.decode()

    transitions = list(
        StatusChange.objects.filter(object_id=case.pk, content_type__model="monitoringcase")
        .order_by("id")
        .values_list("transition", flat=True)
    )
    assert transitions == [
        "open", "check", "compare", "review", "start_notice", "end_notice", "audit", "approve", "announce", "record",
        "propose_elimination", "elim_review", "elim_start_notice", "elim_end_notice", "elim_check", "elim_approve",
    ]  # fmt: skip


@pytest.fixture
def clue(params, cast, households):
    return cases.open_case(households["a"], user=cast["village_cadre"], channel="cadre")


@pytest.mark.parametrize(
    ("username", "name"),
    [
        ("leader", "check"),
        ("supervisor", "check"),
        ("medical_officer", "check"),
        ("township_officer", "check"),  # the village checks
        ("county_officer", "check"),
        ("village_cadre", "compare"),  # the county compares
    ],
)
def test_a_role_without_the_step_permission_gets_403(client, clue, username, name):
    as_user(client, username)
    assert client.get(clue.get_absolute_url()).status_code == 200
    assert step(client, clue, name, **CHECK, result="x").status_code == 403
    assert status(clue) == S.CLUE


def test_other_actions_refuse_roles_without_permission(client, clue, cast, households):
    as_user(client, "leader")
    assert client.get(reverse("monitoring:case_open", args=[households["a"].pk])).status_code == 403
    assert client.get(reverse("monitoring:case_measure_add", args=[clue.pk])).status_code == 403
    assert client.post(reverse("monitoring:case_cadre", args=[clue.pk]), {}).status_code == 403
    assert client.post(reverse("monitoring:case_visit_add", args=[clue.pk]), {}).status_code == 403
    assert client.post(reverse("monitoring:case_objection_add", args=[clue.pk]), {}).status_code == 403
    assert client.get(reverse("monitoring:cadre_reassign")).status_code == 403
    assert client.post(reverse("monitoring:warning_clues"), {"warning": "1"}).status_code == 403
    as_user(client, "village_cadre")
    assert client.get(reverse("monitoring:cadre_reassign")).status_code == 403
    page = client.get(clue.get_absolute_url()).content.decode()
    assert "指定帮扶责任人和监测联系人" not in page  # the village does not assign cadres
    as_user(client, "supervisor")
    page = client.get(clue.get_absolute_url()).content.decode()
    assert "当前环节没有需要您办理的事项" in page


def test_reject_belongs_to_the_owner_of_the_pending_step(client, clue):
    as_user(client, "township_officer")
    refused(step(client, clue, "reject", reason="不符合条件"), "不由您办理")
    assert status(clue) == S.CLUE
    as_user(client, "village_cadre")
    refused(step(client, clue, "reject", reason=""), "必须填写意见或原因")
    assert step(client, clue, "reject", reason="核实后收入稳定").status_code == 302
    assert status(clue) == S.REJECTED
    assert "核实后收入稳定" in client.get(clue.get_absolute_url()).content.decode()


def test_unknown_step_is_404(client, clue):
    as_user(client, "village_cadre")
    assert step(client, clue, "fly").status_code == 404


def test_warnings_become_clues_one_selected_or_a_village(client, params, tree, cast, households):
    warned = warn(tree, households)
    as_user(client, "county_officer")
    listing = client.get(reverse("monitoring:warning_list")).content.decode()
    assert 'form="clue-form"' in listing and "该村全部待核实监测预警转为线索" in listing
    detail = client.get(reverse("monitoring:warning_detail", args=[warned["a"].pk])).content.decode()
    assert "转为监测线索" in detail
    response = client.post(reverse("monitoring:warning_clues"), {"warning": [warned["a"].pk]})
    case = MonitoringCase.objects.get(household=households["a"])
    assert response["Location"] == case.get_absolute_url()
    assert list(case.warnings.all()) == [warned["a"]] and case.channel == "department"
    assert "本次线索来源" in client.get(case.get_absolute_url()).content.decode()
    assert (
        "已转为" in client.get(reverse("monitoring:warning_detail", args=[warned["a"].pk])).content.decode()
    )

    client.post(reverse("monitoring:warning_clues"), {"warning": [warned["b"].pk, warned["c"].pk]})
    assert MonitoringCase.objects.filter(household__in=[households["b"], households["c"]]).count() == 2
    # Out of scope: 404 and nothing registered.
    response = client.post(reverse("monitoring:warning_clues"), {"warning": [warned["d"].pk]})
    assert response.status_code == 404
    assert not MonitoringCase.objects.filter(household=households["d"]).exists()

    as_user(client, "outsider")
    client.post(reverse("monitoring:warning_clues"), {"village": tree.village_d.pk})
    assert MonitoringCase.objects.filter(household=households["d"]).count() == 1
    assert client.post(reverse("monitoring:warning_clues"), {"village": tree.village_a.pk}).status_code == 404
    # A leader sees the warnings but gets no boxes.
    as_user(client, "leader")
    assert 'form="clue-form"' not in client.get(reverse("monitoring:warning_list")).content.decode()


def test_home_page_is_the_worklist(client, params, tree, cast, households):
    warn(tree, households)
    clue = cases.open_case(households["a"], user=cast["village_cadre"], channel="cadre")
    as_user(client, "village_cadre")
    home = client.get(reverse("home")).content.decode()
    assert "我的待办" in home and "入户核实" in home and clue.get_absolute_url() in home
    assert "近 30 天新预警" in home
    as_user(client, "county_officer")
    home = client.get(reverse("home")).content.decode()
    assert (
        clue.get_absolute_url() not in home.split('id="waiting"')[1].split("</ul>")[0]
    )  # not the county's step
    assert client.get(reverse("monitoring:worklist")).status_code == 200


def test_list_filters_panel_unvisited_and_reassign(client, params, cast, households):
    with time_machine.travel(DAY0, tick=False) as traveller:
        case = cases.open_case(households["a"], user=cast["village_cadre"], channel="cadre")
        from fangpin.monitoring.tests.test_case_path import enrol

        enrol(case, cast, traveller)
        other = cases.open_case(households["b"], user=cast["village_cadre_b"], channel="self_report")
        as_user(client, "township_officer")
        url = reverse("monitoring:case_list")

        def listed(**query):
            page = client.get(url, query).content.decode()
            return {c.household.number for c in (case, other) if c.household.number in page}

        assert listed() == {households["a"].number, households["b"].number}
        assert listed(status="monitored") == {households["a"].number}
        assert listed(stage="identifying") == {households["b"].number}
        assert listed(risk="illness") == {households["a"].number}
        assert listed(channel="self_report") == {households["b"].number}
        assert listed(category="unstable_exited") == {households["a"].number}
        assert listed(region=households["b"].region.code) == {households["b"].number}
        assert listed(overdue="true") == set()
        traveller.shift(dt.timedelta(days=30))
        as_user(client, "township_officer")
        assert listed(overdue="true") == {households["b"].number}
        detail = client.get(other.get_absolute_url()).content.decode()
        assert "超时" in detail

        panel = client.get(households["a"].get_absolute_url()).content.decode()
        assert f"监测对象 #{case.pk}" in panel and "监测帮扶中" in panel

        traveller.shift(dt.timedelta(days=60))
        as_user(client, "township_officer")
        page = client.get(reverse("monitoring:worklist_unvisited")).content.decode()
        assert households["a"].number in page
        home = client.get(reverse("home")).content.decode()
        assert "未按期走访" in home

        assert client.get(reverse("monitoring:cadre_reassign")).status_code == 200
        response = client.post(
            reverse("monitoring:cadre_reassign"),
            {"from_cadre": cast["village_cadre"].pk, "to_cadre": cast["village_cadre_b"].pk},
        )
        refused(response, "管辖范围不含以下户")
        assert MonitoringCase.objects.get(pk=case.pk).cadre == cast["village_cadre"]
        response = client.post(
            reverse("monitoring:cadre_reassign"),
            {"from_cadre": cast["village_cadre"].pk, "to_cadre": cast["township_officer"].pk},
        )
        assert response.status_code == 302
        assert MonitoringCase.objects.get(pk=case.pk).cadre == cast["township_officer"]
