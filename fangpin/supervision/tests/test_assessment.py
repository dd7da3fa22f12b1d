"""The annual assessment: each indicator on a small fixture with numbers counted by hand, the weights (which must
sum to 100), the grade bands, the must-talk rule, idempotent recomputation, and the pages' scope and refusals."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fangpin.accounts.services import create_user
from fangpin.core.testing import PASSWORD, make_household, xlsx_rows
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.models import MonitoringCase, Visit
from fangpin.supervision.choices import Grade, VisitorPost
from fangpin.supervision.models import AssessmentIndicator, AssessmentResult, Clue, LeaderVisit
from fangpin.supervision.services import assessment, clues

SCOPE_COVERED_URLS = {"supervision:assessment_list", "supervision:assessment_indicators"}

S = Clue.Status
DAY0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 6, 30)
YEAR = 2026
EQUAL = {m: Decimal(25) for m in assessment.METRICS}


@pytest.fixture
def clock(tree):
    with time_machine.travel(DAY0, tick=False) as traveller:
        yield traveller


def handed(village, unit, supervisor, status=S.ASSIGNED, deadline=dt.date(2026, 4, 1)):
    """A clue handed to `unit` (dated by its assign step, now), then put at `status` for the metric's sake."""
    clue = clues.create_clue(
        user=supervisor, source="hotline", region=village, title="举报", description="群众举报"
    )
    clues.assign(clue, user=supervisor, unit=unit, lead_official="负责人", deadline=deadline)
    Clue.objects.filter(pk=clue.pk).update(status=status)
    return Clue.objects.get(pk=clue.pk)


def case_for(household, status, *, opened: dt.date, recorded: dt.date | None = None, eliminated=None):
    case = MonitoringCase.objects.create(
        household=household,
        status=status,
        channel="self_report",
        recorded_on=recorded,
        eliminated_on=eliminated,
        stage_entered_at=timezone.now(),
    )
    opened_at = timezone.make_aware(dt.datetime.combine(opened, dt.time(9)))
    MonitoringCase.objects.filter(pk=case.pk).update(created_at=opened_at)
    return case


# ---------------------------------------------------------------- the metrics, one by one


def test_rectification_rate_counts_the_clues_handed_to_the_unit_in_the_year(clock, tree, cast):
    supervisor = cast["supervisor"]
    with time_machine.travel(dt.datetime(2025, 11, 3, tzinfo=dt.UTC), tick=False):
        handed(tree.village_a, tree.township, supervisor, S.CLOSED, dt.date(2025, 12, 1))  # last year's
    for status in (S.CLOSED, S.UNFOUNDED, S.VERIFYING, S.RECTIFYING):
        handed(tree.village_a, tree.township, supervisor, status)
    handed(tree.village_c, tree.township_2, supervisor, S.VERIFYING)  # another township
    clues.create_clue(
        user=supervisor, source="hotline", region=tree.village_b, title="未交办", description="池中"
    )

    measured = assessment.metric_rectification_rate(tree.township, YEAR, AS_OF)
    assert measured.value == Decimal("50.00")
    assert measured.basis == "受理 4 条，已销号（含查否） 2 条"
    # The county's figure is its subtree's: 2 of 5.
    assert assessment.metric_rectification_rate(tree.county, YEAR, AS_OF).value == Decimal("40.00")
    # Nothing handed over: nothing to rectify, full marks.
    assert assessment.metric_rectification_rate(tree.other_township, YEAR, AS_OF).value == Decimal(100)


def test_overdue_clues_cost_ten_points_each(clock, tree, cast):
    supervisor = cast["supervisor"]
    handed(tree.village_a, tree.township, supervisor, S.VERIFYING, dt.date(2026, 4, 1))  # overdue on AS_OF
    handed(tree.village_a, tree.township, supervisor, S.RECTIFYING, dt.date(2026, 6, 29))  # overdue by a day
    handed(tree.village_a, tree.township, supervisor, S.ESCALATED, dt.date(2026, 9, 1))  # escalated
    handed(
        tree.village_a, tree.township, supervisor, S.RECTIFYING, dt.date(2026, 6, 30)
    )  # due today: not late
    handed(tree.village_a, tree.township, supervisor, S.RECTIFIED, dt.date(2026, 4, 1))  # done, not late
    measured = assessment.metric_overdue_clues(tree.township, YEAR, AS_OF)
    assert measured.value == Decimal(70) and measured.basis == "逾期或被督办 3 条"
    for _ in range(8):
        handed(tree.village_a, tree.township, supervisor, S.VERIFYING, dt.date(2026, 4, 1))
    assert assessment.metric_overdue_clues(tree.township, YEAR, AS_OF).value == Decimal(0)  # never negative


def test_monitoring_timeliness_uses_the_identification_deadline(clock, tree, cast):
    monitoring_services.load_default_parameters()  # identification_deadline_days = 20 for 咸宁市
    h = {k: make_household(tree.village_a, household_type="ordinary") for k in "abcdef"}
    case_for(
        h["a"], "monitored", opened=dt.date(2026, 2, 1), recorded=dt.date(2026, 2, 11)
    )  # 10 days: timely
    case_for(
        h["b"], "monitored", opened=dt.date(2026, 2, 1), recorded=dt.date(2026, 2, 21)
    )  # 20 days: timely
    case_for(h["c"], "monitored", opened=dt.date(2026, 2, 1), recorded=dt.date(2026, 2, 26))  # 25 days: late
    case_for(h["d"], "checked", opened=dt.date(2026, 5, 1))  # still identifying after 60 days: late
    case_for(h["e"], "checked", opened=dt.date(2026, 6, 20))  # 10 days in: not yet late, not counted
    case_for(h["f"], "monitored", opened=dt.date(2025, 3, 1), recorded=dt.date(2025, 3, 5))  # last year
    make_household(tree.village_c)  # another township, no case
    measured = assessment.metric_monitoring_timeliness(tree.township, YEAR, AS_OF)
    assert measured.value == Decimal("50.00")  # 2 timely of 3 recorded + 1 late in progress
    assert measured.basis == "录入 3 户，其中按时 2 户；在办超时 1 户"
    assert assessment.metric_monitoring_timeliness(tree.township_2, YEAR, AS_OF).value == Decimal(100)


def test_monitoring_timeliness_refuses_a_region_without_the_deadline(clock, tree):
    case_for(
        make_household(tree.village_a), "monitored", opened=dt.date(2026, 2, 1), recorded=dt.date(2026, 2, 3)
    )
    with pytest.raises(ValidationError, match="识别纳入全程时限"):
        assessment.metric_monitoring_timeliness(tree.township, YEAR, AS_OF)


def test_visit_coverage_counts_leader_visits_and_monitoring_visits(clock, tree, households):
    a, b = households["a"], households["b"]  # 脱贫户 of 白霓镇's two villages
    monitored = make_household(tree.village_a, household_type="ordinary")
    case = case_for(monitored, "monitored", opened=dt.date(2026, 1, 5), recorded=dt.date(2026, 1, 20))
    case_for(
        make_household(tree.village_b, household_type="ordinary"),
        "eliminated",
        opened=dt.date(2025, 1, 5),
        recorded=dt.date(2025, 1, 20),
        eliminated=dt.date(2025, 12, 1),
    )  # fmt: skip  (eliminated last year: neither a poor household nor due a visit)
    visit = {"visitor": "书记", "visited_on": dt.date(2026, 2, 1)}
    LeaderVisit.objects.create(
        post=VisitorPost.TOWNSHIP_SECRETARY, region=tree.village_a, household=a, **visit
    )
    LeaderVisit.objects.create(
        post=VisitorPost.VILLAGE_SECRETARY, region=tree.village_a, household=a, **visit
    )
    LeaderVisit.objects.create(
        post=VisitorPost.VILLAGE_SECRETARY, region=tree.village_b, household=b, **visit
    )
    LeaderVisit.objects.create(
        post=VisitorPost.TOWNSHIP_SECRETARY,
        region=tree.village_b,
        household=b,
        visitor="书记",
        visited_on=dt.date(2025, 12, 30),
    )  # fmt: skip  (last year's visit does not cover this year)
    LeaderVisit.objects.create(post=VisitorPost.COUNTY_SECRETARY, region=tree.village_a, **visit)
    Visit.objects.create(case=case, visited_on=dt.date(2026, 3, 1), findings="正常")

    # 白霓镇: poor households a, b, monitored (3) × 2 secretaries = 6 duties, 3 done; 1 case due, visited.
    measured = assessment.metric_visit_coverage(tree.township, YEAR, AS_OF)
    assert measured.value == Decimal("57.14")  # (3 + 1) / (6 + 1)
    assert measured.basis == "遍访应访 6 次、已访 3 次；监测户 1 户、已走访 1 户"
    # 崇阳县 adds the county secretary's poor villages: 大坪村, 石门村 (c's 桂花村 too, and c's household).
    county = assessment.metric_visit_coverage(tree.county, YEAR, AS_OF)
    assert county.basis == "遍访应访 11 次、已访 4 次；监测户 1 户、已走访 1 户"
    assert county.value == Decimal("41.67")  # (4 + 1) / (11 + 1)


# ---------------------------------------------------------------- weights, grades, must-talk


def test_weights_must_sum_to_100(tree, cast):
    officer = cast["county_officer"]
    with pytest.raises(ValidationError, match="权重之和须为 100，现为 90"):
        assessment.set_indicators(tree.county, YEAR, {**EQUAL, "visit_coverage": Decimal(15)}, user=officer)
    with pytest.raises(ValidationError, match="现为 110"):
        assessment.set_indicators(tree.county, YEAR, {**EQUAL, "visit_coverage": Decimal(35)}, user=officer)
    assert not AssessmentIndicator.objects.exists()
    weights = {"rectification_rate": Decimal(60), "overdue_clues": Decimal(40), "visit_coverage": Decimal(0)}
    saved = assessment.set_indicators(
        tree.county, YEAR, {**EQUAL, **weights, "monitoring_timeliness": 0}, user=officer
    )
    assert {i.metric: i.weight for i in saved} == {"rectification_rate": 60, "overdue_clues": 40}
    assert (
        AssessmentIndicator.objects.filter(region=tree.county, year=YEAR).count() == 2
    )  # a zero weight: unused


def test_only_the_regions_own_administrators_set_indicators(tree, cast):
    for username, region in (
        ("supervisor", tree.county),  # views, does not organise
        ("township_officer", tree.township),
        ("city_admin", tree.county),  # a county's assessment is the county's
        ("outsider", tree.county),
    ):
        with pytest.raises(PermissionDenied):
            assessment.set_indicators(region, YEAR, EQUAL, user=cast[username])
    assessment.set_indicators(tree.city, YEAR, EQUAL, user=cast["city_admin"])  # the city assesses counties


@pytest.mark.parametrize(
    "score,grade",
    [
        ("100", Grade.GOOD), ("90", Grade.GOOD), ("89.99", Grade.FAIRLY_GOOD), ("80", Grade.FAIRLY_GOOD),
        ("79.99", Grade.AVERAGE), ("60", Grade.AVERAGE), ("59.99", Grade.POOR), ("0", Grade.POOR),
    ],
)  # fmt: skip
def test_grade_boundaries(score, grade):
    assert assessment.grade_for(Decimal(score)) == grade


def test_assess_scores_grades_and_lists_units_to_talk_to(clock, tree, cast, households):
    monitoring_services.load_default_parameters()
    officer, supervisor = cast["county_officer"], cast["supervisor"]
    assessment.set_indicators(
        tree.county, YEAR, {"rectification_rate": 60, "overdue_clues": 40, "monitoring_timeliness": 0,
                            "visit_coverage": 0}, user=officer,
    )  # fmt: skip
    # 白霓镇: 1 closed of 4, and 3 overdue → 0.6 × 25 + 0.4 × 70 = 43 → 较差, must be talked to.
    handed(tree.village_a, tree.township, supervisor, S.CLOSED)
    for _ in range(3):
        handed(tree.village_a, tree.township, supervisor, S.VERIFYING)
    # 天城镇: 1 closed of 1, none overdue, but 1 escalated clue from another year → 好 yet 存在突出问题.
    handed(tree.village_c, tree.township_2, supervisor, S.CLOSED)
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=dt.UTC), tick=False):
        handed(tree.village_c, tree.township_2, supervisor, S.ESCALATED, dt.date(2025, 9, 1))

    results = {r.unit: r for r in assessment.assess(tree.county, YEAR, user=officer, day=AS_OF)}
    assert set(results) == {tree.township, tree.township_2}  # the county's townships
    poor, good = results[tree.township], results[tree.township_2]
    assert (poor.score, poor.grade, poor.must_talk) == (Decimal("43.00"), Grade.POOR, True)
    assert poor.values["indicators"]["rectification_rate"]["value"] == "25.00"
    assert (good.score, good.grade, good.must_talk) == (Decimal("100.00"), Grade.GOOD, True)
    assert assessment.must_talk_reasons(good) == ["存在突出问题：1 条问题线索被督办"]
    assert assessment.must_talk_reasons(poor) == ["2026 年度综合评价为“较差”（43.00 分）"]

    # Recomputing gives the same rows, not new ones.
    again = assessment.assess(tree.county, YEAR, user=officer, day=AS_OF)
    assert AssessmentResult.objects.count() == 2
    assert {(r.unit_id, r.score, r.grade, r.must_talk) for r in again} == {
        (r.unit_id, r.score, r.grade, r.must_talk) for r in results.values()
    }


def test_assess_refuses_without_valid_indicators_or_by_a_non_organiser(tree, cast):
    with pytest.raises(ValidationError, match="考核指标未设置"):
        assessment.assess(tree.county, YEAR, user=cast["county_officer"])
    assessment.set_indicators(tree.county, YEAR, EQUAL, user=cast["county_officer"])
    for username in ("supervisor", "township_officer", "city_admin", "outsider"):
        with pytest.raises(PermissionDenied):
            assessment.assess(tree.county, YEAR, user=cast[username])
    assert not AssessmentResult.objects.exists()


# ---------------------------------------------------------------- pages


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)


@pytest.fixture
def computed(clock, tree, cast, households):
    monitoring_services.load_default_parameters()
    for region, user in ((tree.county, cast["county_officer"]), (tree.other_county, cast["outsider"])):
        assessment.set_indicators(region, YEAR, EQUAL, user=user)
    handed(tree.village_a, tree.township, cast["supervisor"], S.ESCALATED)
    assessment.assess(tree.county, YEAR, user=cast["county_officer"], day=AS_OF)
    assessment.assess(tree.other_county, YEAR, user=cast["outsider"], day=AS_OF)
    return AssessmentResult.objects.get(unit=tree.township)


# Who sees which assessment: the results page needs view_assessmentresult (city and county administrators,
# supervisors); the indicators page is the organisers' (city and county administrators).
RESULT_VIEWERS = {"city_admin", "county_officer", "supervisor", "outsider"}
ORGANISERS = {"city_admin", "county_officer", "outsider"}
ALL = ["city_admin", "county_officer", "township_officer", "village_cadre", "medical_officer", "supervisor",
       "leader", "outsider"]  # fmt: skip


@pytest.mark.parametrize("username", ALL)
def test_assessment_pages_scope_and_403(client, computed, tree, username):
    login(client, username)
    url = reverse("supervision:assessment_list")
    mine = client.get(f"{url}?year={YEAR}&organiser={tree.county.code}")
    theirs = client.get(f"{url}?year={YEAR}&organiser={tree.other_county.code}")
    indicators = client.get(reverse("supervision:assessment_indicators") + f"?year={YEAR}")
    if username not in RESULT_VIEWERS:
        assert (mine.status_code, theirs.status_code) == (403, 403), username
    else:
        sees_chongyang = username != "outsider"
        assert mine.status_code == (200 if sees_chongyang else 404), username
        assert theirs.status_code == (200 if username in ("city_admin", "outsider") else 404), username
        if sees_chongyang:
            page = mine.content.decode()
            assert "白霓镇" in page and "存在突出问题：1 条问题线索被督办" in page
    assert indicators.status_code == (200 if username in ORGANISERS else 403), username
    before = list(AssessmentResult.objects.values_list("unit_id", "score", "computed_at"))
    post = client.post(f"{url}?year={YEAR}&organiser={tree.county.code}")
    if username == "county_officer":
        assert post.status_code == 302
    else:
        assert post.status_code in (403, 404), username
        assert list(AssessmentResult.objects.values_list("unit_id", "score", "computed_at")) == before


def test_must_talk_list_offers_to_record_the_talk(client, computed, tree):
    login(client, "supervisor")
    page = client.get(reverse("supervision:assessment_list") + f"?year={YEAR}").content.decode()
    add = reverse("supervision:talk_add") + f"?region={tree.township.pk}"
    assert add in page and "登记约谈" in page
    form = client.get(add + "&reason=存在突出问题").content.decode()
    assert f'<option value="{tree.township.pk}" selected>' in form and "存在突出问题" in form
    login(client, "county_officer")  # views the list but cannot record talks: no button
    page = client.get(reverse("supervision:assessment_list") + f"?year={YEAR}").content.decode()
    assert "登记约谈" not in page and "未约谈" in page


def test_assessment_export(client, computed, tree):
    login(client, "county_officer")
    response = client.get(reverse("supervision:assessment_list") + f"?year={YEAR}&export=xlsx")
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert rows[0][:6] == ["被考核单位", "年度", "综合得分", "等次", "须约谈", "约谈原因"]
    assert {r[0] for r in rows[1:]} == {tree.township.full_name, tree.township_2.full_name}


def test_indicator_form_refuses_weights_not_summing_to_100(client, tree, cast):
    login(client, "county_officer")
    url = reverse("supervision:assessment_indicators") + f"?year={YEAR}"
    data = {m: "20" for m in assessment.METRICS}
    response = client.post(url, data)
    assert response.status_code == 200 and "各项权重之和须为 100，现为 80" in response.content.decode()
    assert not AssessmentIndicator.objects.exists()
    response = client.post(url, {**data, "rectification_rate": "40"})
    assert response.status_code == 302
    assert AssessmentIndicator.objects.filter(region=tree.county, year=YEAR).count() == 4


def test_a_township_officer_has_no_assessment_pages(client, tree, cast):
    create_user("township_2", role="township", region_code=tree.township_2.code, password=PASSWORD)
    login(client, "township_2")
    assert client.get(reverse("supervision:assessment_list")).status_code == 403
