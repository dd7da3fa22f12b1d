"""What a review of department units found, each pinned by a test of the corrected behaviour: a city department
answers only for its own clues and deliveries; December's delivery cycle counts; a clue is never handed to a
department nobody can act for; the clue filters name departments; a county department's ledger is its own;
only the handling unit adds evidence while it verifies and rectifies; no step is offered that can never be
taken; recomputing leaves no stale result."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from fangpin.core.testing import PASSWORD
from fangpin.supervision.models import Clue
from fangpin.supervision.services import assessment, clues, evidence, governance, ledger
from fangpin.supervision.services.assessment import Unit
from fangpin.supervision.services.workflow import steps_for
from fangpin.supervision.tests.test_clue_api import api, ok
from fangpin.supervision.tests.test_clue_lifecycle import PDF, S, make_people, pool_clue, soon
from fangpin.supervision.tests.test_department_assessment import delivery

MED, CIVIL = "medical_insurance", "civil_affairs"
DEPARTMENT_WEIGHTS = {"rectification_rate": 40, "overdue_clues": 30, "data_delivery": 30}


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


def handed(people, household, unit, department="", by="supervisor"):
    clue = pool_clue(people, household)
    return clues.assign(
        clue, user=people[by], unit=unit, department=department, lead_official="局长", deadline=soon()
    )


def test_a_city_department_answers_only_for_its_own_clues(people, tree, households):
    from fangpin.accounts.services import create_user

    create_user("county_civil", role="department", region_code=tree.county.code, password=PASSWORD,
                department=CIVIL)  # fmt: skip
    county_clue = handed(people, households["a"], tree.county, CIVIL)
    clues.escalate(county_clue, user=people["supervisor"], reason="逾期")
    city_civil, county_civil = Unit(tree.city, CIVIL), Unit(tree.county, CIVIL)
    assert assessment.handed_to(city_civil).count() == 0 and assessment.escalated_count(city_civil) == 0
    assert assessment.handed_to(county_civil).count() == 1 and assessment.escalated_count(county_civil) == 1
    year = dt.date.today().year
    assessment.set_indicators(
        tree.city, year, DEPARTMENT_WEIGHTS, user=people["city_admin"], kind="department"
    )
    results = assessment.assess(tree.city, year, user=people["city_admin"])
    city_row = next(r for r in results if r.department == CIVIL)
    assert not city_row.must_talk and assessment.must_talk_reasons(city_row) == []


def test_a_city_department_is_not_credited_with_a_county_departments_deliveries(people, tree):
    for month in range(1, 6):
        delivery(tree.county, CIVIL, "minimum_living", dt.datetime(2026, month, 15, 9))
    city = assessment.metric_data_delivery(Unit(tree.city, CIVIL), 2026, dt.date(2026, 6, 30))
    assert "按时报送 0 期" in city.basis and city.value == Decimal("0.00")
    county = assessment.metric_data_delivery(Unit(tree.county, CIVIL), 2026, dt.date(2026, 6, 30))
    assert "按时报送 5 期" in county.basis
    # ... while a city delivery still covers its counties
    delivery(tree.city, MED, "medical_settlement", dt.datetime(2026, 1, 15, 9))
    covered = assessment.metric_data_delivery(Unit(tree.county, MED), 2026, dt.date(2026, 6, 30))
    assert "按时报送 1 期" in covered.basis


def test_decembers_cycle_is_counted_after_the_tenth_of_january(people, tree):
    delivery(tree.county, MED, "medical_settlement", dt.datetime(2025, 1, 15, 9))
    delivery(tree.county, MED, "medical_settlement", dt.datetime(2026, 1, 8, 9))  # December's, on time
    late = assessment.metric_data_delivery(Unit(tree.county, MED), 2025, dt.date(2026, 2, 1))
    assert "12 期" in late.basis and "按时报送 2 期" in late.basis
    early = assessment.metric_data_delivery(Unit(tree.county, MED), 2025, dt.date(2025, 12, 31))
    assert "11 期" in early.basis  # December's cycle is not due yet


def test_a_clue_is_not_handed_to_a_department_without_accounts(people, tree, households):
    clue = pool_clue(people, households["a"])
    with pytest.raises(ValidationError, match="崇阳县 水利尚未开通经办账号"):
        clues.assign(clue, user=people["supervisor"], unit=tree.county, department="water",
                     lead_official="局长", deadline=soon())  # fmt: skip
    clue.refresh_from_db()
    assert (clue.status, clue.assigned_department) == (S.GENERATED, "")


def test_the_clue_filters_pick_a_department_or_the_office_and_the_city(people, tree, households):
    own = handed(people, households["a"], tree.county)
    department = handed(people, households["b"], tree.county, MED)
    city = handed(people, households["c"], tree.city, CIVIL, by="city_supervisor")
    client = api(people["city_supervisor"])

    def numbers(**query):
        return {row["number"] for row in ok(client.get("/api/clues/", query))["results"]}

    assert numbers(unit=tree.county.pk) == {own.number, department.number}
    assert numbers(unit=tree.county.pk, department="none") == {own.number}
    assert numbers(unit=tree.county.pk, department=MED) == {department.number}
    assert numbers(unit=tree.city.pk) == {city.number}


def test_a_county_departments_ledger_is_its_own(people, tree, households):
    handed(people, households["b"], tree.county, MED)
    handed(people, households["a"], tree.county)
    result = ledger.ledger(people["medical_officer"], by="unit")
    assert [(r.name, r.received) for r in result.rows] == [("崇阳县 医保", 1)]
    assert (result.total.name, result.total.received) == ("崇阳县 医保合计", 1)


def test_only_the_handling_unit_adds_evidence_while_it_verifies_and_rectifies(people, tree, households):
    clue = handed(people, households["b"], tree.county, MED)
    med, office = people["medical_officer"], people["county_officer"]
    evidence.add_evidence(clue, user=office, name="交办函.pdf", content=PDF)  # 已交办: anyone who sees it
    clues.start_verifying(clue, user=med)
    with pytest.raises(PermissionDenied, match="由承办单位上传"):
        evidence.add_evidence(clue, user=office, name="核查.pdf", content=PDF)
    clues.confirm(clue, user=med, classification="data_error", verification_note="属实")
    clues.start_rectifying(clue, user=med, actions=["correct_data"])
    with pytest.raises(PermissionDenied, match="由承办单位上传"):
        evidence.add_evidence(clue, user=office, name="整改.pdf", content=PDF)
    client = Client()
    client.login(username=office.username, password=PASSWORD)
    page = client.get(reverse("supervision:clue_detail", args=[clue.pk])).content.decode()
    assert 'name="evidence-file"' not in page
    # the guard still wants the department's own file
    with pytest.raises(ValidationError, match="请上传整改佐证材料"):
        clues.mark_rectified(clue, user=med, rectification_note="已更正")
    evidence.add_evidence(clue, user=med, name="整改.pdf", content=PDF)
    evidence.add_evidence(
        clue, user=people["supervisor"], name="督导意见.pdf", content=PDF
    )  # supervisors may
    clues.mark_rectified(clue, user=med, rectification_note="已更正")


def test_no_spot_check_is_offered_where_it_can_never_be_taken(people, tree, households):
    county = handed(people, households["a"], tree.county, MED)
    Clue.objects.filter(pk=county.pk).update(status=S.RECTIFIED)
    county.refresh_from_db()
    assert steps_for(county, people["medical_officer"]) == []
    assert ok(api(people["medical_officer"]).get(f"/api/clues/{county.pk}/"))["steps"] == []
    assert [n for n, _ in steps_for(county, people["city_department"])] == ["select_spot_check"]
    own = handed(people, households["c"], tree.city, CIVIL, by="city_supervisor")
    Clue.objects.filter(pk=own.pk).update(status=S.RECTIFIED)
    own.refresh_from_db()
    assert steps_for(own, people["city_department"]) == []
    client = Client()
    client.login(username=people["city_department"].username, password=PASSWORD)
    assert client.get(reverse("supervision:clue_spot_check")).context["waiting"] == 1  # the county's only


def test_recomputing_leaves_no_stale_result(people, tree, cast):
    officer = cast["county_officer"]
    year = dt.date.today().year
    assessment.set_indicators(tree.county, year, DEPARTMENT_WEIGHTS, user=officer, kind="department")
    assert [r.department for r in assessment.assess(tree.county, year, user=officer)] == [MED]
    cast["medical_officer"].is_active = False
    cast["medical_officer"].save()
    assert assessment.assess(tree.county, year, user=officer) == []
    assert list(assessment.results_for(tree.county, year, user=officer)) == []


def test_a_talk_names_only_its_own_units_clues(people, tree, households):
    from fangpin.accounts.services import create_user

    create_user("county_civil", role="department", region_code=tree.county.code, password=PASSWORD,
                department=CIVIL)  # fmt: skip
    county_clue = handed(people, households["a"], tree.county, CIVIL)
    with pytest.raises(ValidationError, match="不属于被约谈单位"):
        governance.record_talk(user=people["city_supervisor"], region=tree.city, department=CIVIL,
                               persons="局长", held_on=dt.date.today(), held_by="市纪委", reason="滞后",
                               clue_numbers=[county_clue.number])  # fmt: skip
    talk = governance.record_talk(user=people["supervisor"], region=tree.county, department=CIVIL,
                                  persons="局长", held_on=dt.date.today(), held_by="县纪委", reason="滞后",
                                  clue_numbers=[county_clue.number])  # fmt: skip
    assert list(talk.clues.all()) == [county_clue]


def test_the_spot_check_button_only_where_a_spot_check_can_be_made(people, tree, households):
    handed(people, households["b"], tree.county, MED)
    spot_check = reverse("supervision:clue_spot_check")
    for username, shown in (("city_department", True), ("medical_officer", False), ("supervisor", False)):
        client = Client()
        client.login(username=people[username].username, password=PASSWORD)
        page = client.get(reverse("supervision:clue_list")).content.decode()
        assert (spot_check in page) is shown, username
