"""The annual assessment of line departments, independently: which departments a county assesses, their own
indicator catalogue and weights, results stored for townships and departments side by side (and only for the
kinds whose indicators are set), a department's clue metrics counting its clues only while its county answers
for them, the data-delivery metric counted by hand, the page's two result tables, the department indicators
form, talks with a department from the must-talk list, the API, and every member of the cast."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from fangpin.core.models import ImportBatch
from fangpin.core.testing import xlsx_rows
from fangpin.exchange.models import DepartmentDataset
from fangpin.supervision.choices import Grade
from fangpin.supervision.models import AssessmentIndicator, AssessmentResult, Clue, Talk
from fangpin.supervision.services import assessment, clues, governance
from fangpin.supervision.services.assessment import Unit
from fangpin.supervision.tests.test_assessment import (  # noqa: F401 (clock is a fixture)
    ALL,
    AS_OF,
    ORGANISERS,
    RESULT_VIEWERS,
    YEAR,
    clock,
    handed,
    login,
)

SCOPE_COVERED_URLS = {
    "supervision:assessment_list", "supervision:assessment_indicators", "supervision:talk_add",
    "assessmentresult-list", "assessmentresult-detail", "assessmentindicator-list",
}  # fmt: skip
S = Clue.Status
MED, CIVIL = "medical_insurance", "civil_affairs"
REGION_WEIGHTS = {
    "rectification_rate": 50,
    "overdue_clues": 50,
    "monitoring_timeliness": 0,
    "visit_coverage": 0,
}
DEPARTMENT_WEIGHTS = {"rectification_rate": 40, "overdue_clues": 30, "data_delivery": 30}


@pytest.fixture(autouse=True)
def county_civil(tree):
    """崇阳县 民政's own account: a clue is handed only to a department that has one (someone must handle it)."""
    from fangpin.accounts.services import create_user
    from fangpin.core.testing import PASSWORD

    return create_user(
        "county_civil", role="department", region_code=tree.county.code, password=PASSWORD, department=CIVIL
    )


def to_department(village, department, supervisor, status=S.ASSIGNED, deadline=dt.date(2026, 4, 1)) -> Clue:
    """A clue handed (now) to `department` of 崇阳县, then put at `status`."""
    clue = clues.create_clue(
        user=supervisor, source="hotline", region=village, title="举报", description="举报"
    )
    clues.assign(clue, user=supervisor, unit=village.parent.parent, department=department, lead_official="局长",
                 deadline=deadline)  # fmt: skip
    Clue.objects.filter(pk=clue.pk).update(status=status)
    return clue


def delivery(region, department, kind, when: dt.datetime) -> DepartmentDataset:
    """A department's dataset uploaded in `region`, imported at local time `when`."""
    batch = ImportBatch.objects.create(kind=f"dataset:{kind}", department=department, region=region,
                                       file_name="x.xlsx", file_sha256="0" * 64, status="succeeded")  # fmt: skip
    dataset = DepartmentDataset.objects.create(
        kind=kind, department=department, batch=batch, parquet="x.parquet"
    )
    DepartmentDataset.objects.filter(pk=dataset.pk).update(created_at=timezone.make_aware(when))
    return dataset


@pytest.fixture
def graded(clock, tree, cast):  # noqa: F811
    """崇阳县 with both kinds of indicators; on AS_OF: 白霓镇 1 closed clue; 医保 1 closed + 1 overdue; 民政 1
    escalated. No dataset delivered anywhere: delivery scores 100."""
    officer, sup = cast["county_officer"], cast["supervisor"]
    assessment.set_indicators(tree.county, YEAR, REGION_WEIGHTS, user=officer)
    assessment.set_indicators(tree.county, YEAR, DEPARTMENT_WEIGHTS, user=officer, kind="department")
    handed(tree.village_a, tree.township, sup, S.CLOSED)
    to_department(tree.village_a, MED, sup, S.CLOSED)
    to_department(tree.village_b, MED, sup, S.VERIFYING)
    to_department(tree.village_c, CIVIL, sup, S.ESCALATED)
    assessment.assess(tree.county, YEAR, user=officer, day=AS_OF)
    return {(r.unit.code, r.department): r for r in AssessmentResult.objects.select_related("unit")}


# ---------------------------------------------------------------- who is assessed, with which indicators


def test_the_departments_a_county_assesses(clock, tree, cast, county_civil):  # noqa: F811
    # 民政 and 医保 have an account there
    assert assessment.assessed_departments(tree.county, YEAR) == [CIVIL, MED]
    to_department(tree.village_a, CIVIL, cast["supervisor"])  # a clue handed to 崇阳县 民政
    for user in (cast["medical_officer"], county_civil):
        user.is_active = False
        user.save()
    assert assessment.assessed_departments(tree.county, YEAR) == [CIVIL]  # by its clue only; 医保 no longer
    delivery(tree.county, "housing", "house_appraisal", dt.datetime(YEAR, 2, 1, 9))
    delivery(tree.county, "water", "water_check", dt.datetime(YEAR - 1, 12, 1, 9))  # another year
    delivery(tree.other_county, "education", "school_enrolment", dt.datetime(YEAR, 2, 1, 9))  # another county
    assert assessment.assessed_departments(tree.county, YEAR) == [CIVIL, "housing"]
    assert (
        assessment.assessed_departments(tree.city, YEAR) == []
    )  # the county's departments are not the city's
    assert assessment.assessed_departments(tree.other_county, YEAR) == ["education"]
    units = assessment.assessed_units(tree.county, YEAR)
    assert units == [
        Unit(tree.township_2),
        Unit(tree.township),
        Unit(tree.county, CIVIL),
        Unit(tree.county, "housing"),
    ]
    assert [u.kind for u in units] == ["region", "region", "department", "department"]


def test_department_indicators_have_their_own_catalogue_and_weights(tree, cast):
    officer = cast["county_officer"]
    cases = [
        ({**DEPARTMENT_WEIGHTS, "visit_coverage": 0}, "department", "未知的考核指标：visit_coverage"),
        ({**DEPARTMENT_WEIGHTS, "data_delivery": 20}, "department", "各项权重之和须为 100，现为 90"),
        ({"rectification_rate": 70, "data_delivery": 30}, "region", "未知的考核指标：data_delivery"),
        (DEPARTMENT_WEIGHTS, "township", "未知的被考核单位类别"),
    ]
    for weights, kind, reason in cases:
        with pytest.raises(ValidationError, match=reason):
            assessment.set_indicators(tree.county, YEAR, weights, user=officer, kind=kind)
    assert not AssessmentIndicator.objects.exists() and assessment.configured_kinds(tree.county, YEAR) == []
    assessment.set_indicators(tree.county, YEAR, REGION_WEIGHTS, user=officer)
    assert assessment.configured_kinds(tree.county, YEAR) == ["region"]
    saved = assessment.set_indicators(tree.county, YEAR, DEPARTMENT_WEIGHTS, user=officer, kind="department")
    assert {(i.unit_kind, i.metric, i.weight) for i in saved} == {
        ("department", m, Decimal(w)) for m, w in DEPARTMENT_WEIGHTS.items()
    }
    assert assessment.configured_kinds(tree.county, YEAR) == ["region", "department"]
    # Setting one kind leaves the other alone.
    assessment.set_indicators(tree.county, YEAR, {"rectification_rate": 100}, user=officer, kind="department")
    assert AssessmentIndicator.objects.filter(unit_kind="region").count() == 2
    assert list(
        AssessmentIndicator.objects.filter(unit_kind="department").values_list("metric", flat=True)
    ) == ["rectification_rate"]


# ---------------------------------------------------------------- results


def test_assess_grades_townships_and_departments_each_on_their_own_clues(graded, tree, cast):
    assert set(graded) == {("421223104", ""), ("421223100", ""), ("421223", MED), ("421223", CIVIL)}
    med, civil = graded[("421223", MED)], graded[("421223", CIVIL)]
    values = med.values["indicators"]
    assert values["rectification_rate"]["basis"] == "受理 2 条，已销号（含查否） 1 条"
    assert (values["rectification_rate"]["value"], values["overdue_clues"]["value"]) == ("50.00", "90.00")
    assert (
        values["data_delivery"]["value"] == "100.00"
    )  # no delivery in the area yet: nothing held against it
    assert (med.score, med.grade, med.must_talk) == (Decimal("77.00"), Grade.AVERAGE, False)  # 20 + 27 + 30
    assert (civil.score, civil.grade, civil.must_talk) == (Decimal("57.00"), Grade.POOR, True)  # 0 + 27 + 30
    assert civil.values["escalated_clues"] == 1 and civil.unit_name == "咸宁市崇阳县 民政"
    township = graded[("421223104", "")]  # the departments' clues are not the township's
    assert township.score == Decimal("100.00") and set(township.values["indicators"]) == set(
        REGION_WEIGHTS
    ) - {"monitoring_timeliness", "visit_coverage"}
    # The county as a unit of the city answers for its departments' clues: 2 finished of 4.
    county = assessment.metric_rectification_rate(tree.county, YEAR, AS_OF)
    assert (county.value, county.basis) == (Decimal("50.00"), "受理 4 条，已销号（含查否） 2 条")
    assessment.set_indicators(tree.city, YEAR, {"rectification_rate": 100}, user=cast["city_admin"])
    by_city = assessment.assess(tree.city, YEAR, user=cast["city_admin"], day=AS_OF)
    assert {(r.unit.code, r.department, r.score) for r in by_city} == {
        ("421223", "", Decimal("50.00")), ("421224", "", Decimal("100.00"))
    }  # fmt: skip
    listed = assessment.results_for(tree.county, YEAR, user=cast["county_officer"])
    assert {(r.unit.code, r.department) for r in listed} == set(
        graded
    )  # not the county's own row for the city


def test_without_department_indicators_no_department_is_assessed(clock, client, tree, cast):  # noqa: F811
    assessment.set_indicators(tree.county, YEAR, REGION_WEIGHTS, user=cast["county_officer"])
    to_department(tree.village_a, MED, cast["supervisor"], S.ESCALATED)
    login(client, "county_officer")
    url = reverse("supervision:assessment_list") + f"?year={YEAR}&organiser={tree.county.code}"
    page = client.post(url, follow=True).content.decode()
    assert "行业部门的 2026 年度考核指标未设置，未对其考核" in page and "已计算 2 个单位" in page
    assert set(AssessmentResult.objects.values_list("department", flat=True)) == {""}


# ---------------------------------------------------------------- data delivery, counted by hand


def test_delivery_cycles_run_from_the_11th_to_the_10th_of_the_next_month():
    cycles = assessment.delivery_cycles_due(YEAR, AS_OF)
    assert cycles == [(dt.date(2026, m, 11), dt.date(2026, m + 1, 10)) for m in range(1, 6)]  # Jan … May
    assert len(assessment.delivery_cycles_due(YEAR, dt.date(2026, 6, 10))) == 5  # May's is due that day
    assert len(assessment.delivery_cycles_due(YEAR, dt.date(2026, 6, 9))) == 4
    assert assessment.delivery_cycles_due(YEAR, dt.date(2026, 2, 9)) == []


def test_data_delivery_counts_a_cycle_once_when_delivered_inside_it(tree):
    med = Unit(tree.county, MED)
    assert assessment.metric_data_delivery(med, YEAR, AS_OF).value == Decimal(100)  # the area has not begun
    at = dt.datetime
    delivery(tree.county, MED, "medical_settlement", at(2025, 12, 20, 10))  # last year's; the area begins
    delivery(tree.county, MED, "medical_settlement", at(2026, 1, 20, 10))  # January's cycle
    delivery(tree.county, MED, "medical_settlement", at(2026, 2, 10, 23, 30))  # January's again, its last day
    delivery(
        tree.county, MED, "medical_settlement", at(2026, 3, 11, 0, 10)
    )  # late for February: March's only
    delivery(tree.other_county, MED, "medical_settlement", at(2026, 2, 20, 10))  # another county's
    delivery(tree.county, CIVIL, "minimum_living", at(2026, 2, 20, 10))  # another department's
    delivery(tree.county, MED, "medical_settlement", at(2026, 5, 5, 10))  # April's
    delivery(tree.county, MED, "medical_settlement", at(2026, 6, 15, 10))  # June's: not due on 30 June
    measured = assessment.metric_data_delivery(med, YEAR, AS_OF)
    assert (measured.value, measured.basis) == (
        Decimal("60.00"),
        "1 类数据 × 5 期，应报送 5 期，按时报送 3 期",
    )
    assert assessment.metric_data_delivery(med, YEAR, dt.date(2026, 6, 9)).value == Decimal("75.00")  # 3 of 4
    # 民政 delivers three kinds: one of fifteen.
    civil = assessment.metric_data_delivery(Unit(tree.county, CIVIL), YEAR, AS_OF)
    assert (civil.value, civil.basis) == (Decimal("6.67"), "3 类数据 × 5 期，应报送 15 期，按时报送 1 期")
    # 财政 delivers nothing in the catalogue: full marks.
    finance = assessment.metric_data_delivery(Unit(tree.county, "finance"), YEAR, AS_OF)
    assert finance.value == Decimal(100) and "无应报送" in finance.basis


def test_data_delivery_counts_from_when_the_area_began_and_only_the_areas_deliveries(tree):
    med = Unit(tree.other_county, MED)
    delivery(tree.county, MED, "medical_settlement", dt.datetime(2026, 1, 20, 10))  # 崇阳's: not 通山's start
    assert assessment.metric_data_delivery(med, YEAR, AS_OF).value == Decimal(100)
    delivery(tree.other_county, CIVIL, "minimum_living", dt.datetime(2026, 3, 15, 10))  # 通山 begins in March
    measured = assessment.metric_data_delivery(med, YEAR, AS_OF)
    assert (measured.value, measured.basis) == (
        Decimal("0.00"),
        "1 类数据 × 3 期，应报送 3 期，按时报送 0 期",
    )
    delivery(tree.other_county, MED, "medical_settlement", dt.datetime(2026, 4, 1, 10))
    assert assessment.metric_data_delivery(med, YEAR, AS_OF).value == Decimal("33.33")
    # A delivery of the city's 医保 covers its counties: April's cycle too.
    delivery(tree.city, MED, "medical_settlement", dt.datetime(2026, 5, 5, 10))
    assert assessment.metric_data_delivery(med, YEAR, AS_OF).value == Decimal("66.67")


# ---------------------------------------------------------------- the pages


def section(page: str, kind: str) -> str:
    start = page.index(f'id="results-{kind}"')
    return page[start : page.index("</article>", start)]


def test_the_page_shows_two_tables_and_the_department_indicators_form(graded, client, tree):
    login(client, "county_officer")
    page = client.get(reverse("supervision:assessment_list") + f"?year={YEAR}").content.decode()
    region, department = section(page, "region"), section(page, "department")
    assert "白霓镇" in region and "天城镇" in region and "医保" not in region and "民政" not in region
    assert "医保" in department and "民政" in department and "77.00" in department and "57.00" in department
    assert "部门数据报送及时率" in department and "白霓镇" not in department
    assert 'id="set-department"' in page
    export = client.get(reverse("supervision:assessment_list") + f"?year={YEAR}&export=xlsx")
    rows = xlsx_rows(b"".join(export.streaming_content))
    column = rows[0].index("部门数据报送及时率")
    by_unit = {r[0]: (r[rows[0].index("类别")], r[column]) for r in rows[1:]}
    assert by_unit["咸宁市崇阳县 医保"] == ("行业部门", "100.00") and by_unit["咸宁市崇阳县白霓镇"][1] in (
        "",
        None,
    )
    url = reverse("supervision:assessment_indicators")
    form = client.get(f"{url}?year={YEAR}&kind=department")
    assert form.status_code == 200 and 'name="data_delivery"' in form.content.decode()
    assert 'name="visit_coverage"' not in form.content.decode()
    short = client.post(f"{url}?year={YEAR}&kind=department", {**DEPARTMENT_WEIGHTS, "data_delivery": "20"})
    assert short.status_code == 200 and "现为 90" in short.content.decode()
    saved = client.post(f"{url}?year={YEAR}&kind=department", {**DEPARTMENT_WEIGHTS, "rectification_rate": "50",
                                                                 "overdue_clues": "20"})  # fmt: skip
    assert saved.status_code == 302
    assert dict(AssessmentIndicator.objects.filter(unit_kind="department").values_list("metric", "weight")) == {
        "rectification_rate": 50, "overdue_clues": 20, "data_delivery": 30
    }  # fmt: skip
    assert AssessmentIndicator.objects.filter(unit_kind="region").count() == 2
    assert client.get(f"{url}?year={YEAR}&kind=bogus").status_code == 404
    assert client.post(f"{url}?year={YEAR}&kind=bogus", DEPARTMENT_WEIGHTS).status_code == 404


def test_a_talk_with_a_department_from_the_must_talk_list(graded, client, tree, cast):
    login(client, "supervisor")
    url = reverse("supervision:assessment_list") + f"?year={YEAR}"
    items = client.get(url).context["must_talk"]
    assert [(i["result"].department, i["talk"]) for i in items] == [(CIVIL, None)]
    add = items[0]["add_url"]
    assert add.startswith(reverse("supervision:talk_add") + f"?region={tree.county.pk}&department={CIVIL}&")
    form = client.get(add).content.decode()
    assert f'<option value="{CIVIL}" selected>民政</option>' in form
    assert f'<option value="{tree.county.pk}" selected>' in form
    # A talk with the county's own office is not a talk with its 民政.
    governance.record_talk(user=cast["supervisor"], region=tree.county, persons="县长", held_on=dt.date(2026, 3, 1),
                           held_by="纪委", reason="滞后")  # fmt: skip
    assert client.get(url).context["must_talk"][0]["talk"] is None
    data = {"region": tree.county.pk, "department": CIVIL, "persons": "民政局长", "held_on": "2026-03-02",
            "held_by": "县纪委", "reason": "综合评价较差"}  # fmt: skip
    assert client.post(reverse("supervision:talk_add"), data).status_code == 302
    talk = Talk.objects.get(department=CIVIL)
    assert (talk.region, talk.unit) == (tree.county, "咸宁市崇阳县 民政")
    page = client.get(url).content.decode()
    assert "已约谈（2026-03-02）" in page and reverse("supervision:talk_detail", args=[talk.pk]) in page


def test_a_talk_with_a_department_is_only_at_the_city_or_a_county(tree, cast):
    with pytest.raises(ValidationError, match="乡镇不能选择被约谈部门"):
        governance.record_talk(user=cast["supervisor"], region=tree.township, department=MED, persons="某",
                               held_on=dt.date.today(), held_by="纪委", reason="滞后")  # fmt: skip


# ---------------------------------------------------------------- the API


def api(cast, username):
    client = APIClient()
    client.force_authenticate(cast[username])
    return client


def test_the_api_sets_department_indicators_lists_department_results_and_talks(graded, tree, cast):
    officer = api(cast, "county_officer")
    url = reverse("assessmentindicator-list")
    body = {
        "year": YEAR,
        "unit_kind": "department",
        "weights": {"rectification_rate": "60", "data_delivery": "40"},
    }
    created = officer.post(url, body, format="json")
    assert created.status_code == 201 and {(r["unit_kind"], r["metric"]) for r in created.json()} == {
        ("department", "rectification_rate"), ("department", "data_delivery")
    }  # fmt: skip
    wrong = officer.post(url, {**body, "weights": {"visit_coverage": "100"}}, format="json")
    assert wrong.status_code == 400 and "未知的考核指标" in str(wrong.json())
    assert officer.post(url, {**body, "unit_kind": "bogus"}, format="json").status_code == 400
    assert AssessmentIndicator.objects.filter(unit_kind="region").count() == 2  # untouched
    listed = officer.get(reverse("assessmentresult-list"), {"organiser": tree.county.code, "year": YEAR})
    rows = {(r["unit"], r["department"]): r for r in listed.json()["results"]}
    assert set(rows) == set(graded)
    assert rows[("421223", MED)]["unit_name"] == "咸宁市崇阳县 医保" and rows[("421223104", "")][
        "unit_name"
    ] == ("咸宁市崇阳县白霓镇")
    sup = api(cast, "supervisor")
    talk = {"region": tree.county.code, "persons": "医保局长", "held_on": "2026-03-01", "held_by": "纪委",
            "reason": "滞后"}  # fmt: skip
    bogus = sup.post(reverse("talk-list"), {**talk, "department": "tax"}, format="json")
    assert bogus.status_code == 400 and bogus.json()["department"] == ["未知的部门：tax"]
    made = sup.post(reverse("talk-list"), {**talk, "department": MED}, format="json")
    assert made.status_code == 201 and (made.json()["department"], made.json()["unit"]) == (
        MED,
        "咸宁市崇阳县 医保",
    )


# ---------------------------------------------------------------- scope, for the whole cast


@pytest.mark.parametrize("username", ALL)
def test_department_results_and_indicators_are_scoped(graded, client, tree, cast, username):
    login(client, username)
    rest = api(cast, username)
    page = client.get(reverse("supervision:assessment_list") + f"?year={YEAR}&organiser={tree.county.code}")
    listed = rest.get(reverse("assessmentresult-list"), {"organiser": tree.county.code, "year": YEAR})
    result = graded[("421223", MED)]
    detail = rest.get(reverse("assessmentresult-detail", args=[result.pk])).status_code
    if username not in RESULT_VIEWERS:
        assert (page.status_code, listed.status_code) == (403, 403), username
        in_scope = AssessmentResult.objects.visible_to(cast[username]).filter(pk=result.pk).exists()
        assert detail == (403 if in_scope else 404), username
    elif username == "outsider":
        assert (page.status_code, listed.status_code, detail) == (404, 404, 404)
    else:
        assert "医保" in section(page.content.decode(), "department"), username
        assert {r["department"] for r in listed.json()["results"]} == {"", MED, CIVIL} and detail == 200
    talk_add = reverse("supervision:talk_add") + f"?region={tree.county.pk}&department={CIVIL}"
    assert client.get(talk_add).status_code == (200 if username == "supervisor" else 403), username
    indicators = reverse("supervision:assessment_indicators") + f"?year={YEAR}&kind=department"
    assert client.get(indicators).status_code == (200 if username in ORGANISERS else 403), username
    before = list(
        AssessmentIndicator.objects.filter(region=tree.county).values_list("unit_kind", "metric", "weight")
    )
    weights = {"rectification_rate": "100"}
    posted = client.post(indicators, weights).status_code
    set_by_api = rest.post(reverse("assessmentindicator-list"), {"year": YEAR, "unit_kind": "department",
                                                                 "weights": weights}, format="json")  # fmt: skip
    if username in ORGANISERS:  # each organiser sets its own region's
        assert (posted, set_by_api.status_code) == (302, 201), username
        own = cast[username].region
        assert list(AssessmentIndicator.objects.filter(region=own, unit_kind="department").values_list(
            "metric", flat=True)) == ["rectification_rate"]  # fmt: skip
    else:
        assert (posted, set_by_api.status_code) == (403, 403), username
    if username != "county_officer":
        after = AssessmentIndicator.objects.filter(region=tree.county).values_list(
            "unit_kind", "metric", "weight"
        )
        assert list(after) == before, username
