"""The case data-quality checks (spec §6): each fires on a case that breaks it and stays silent on the other side
of its boundary; the 数据质量问题 page and the household panel show only the issues in the user's scope."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.testing import PASSWORD, make_household, xlsx_rows
from fangpin.monitoring import services
from fangpin.monitoring.case_quality import RULES, quality_issues, region_quality, village_quality
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.quality_views import quality_panel
from fangpin.registry.models import Person
from fangpin.registry.tests.test_scope import VISIBLE

SCOPE_COVERED_URLS = {"monitoring:quality_list", "monitoring:quality_village"}

S = MonitoringCase.Status
RECORDED = dt.date(2026, 1, 10)
DAY = dt.date(2026, 9, 1)  # monitoring line 8600 (parameters.csv, 2026)

IDENTIFIED = {
    "category": "unstable_exited",
    "risks": ["illness"],
    "identified_month": "202601",
    "recorded_on": RECORDED,
    "income_year": 2025,
    "net_income": Decimal("8000"),
    "per_capita_income": Decimal("4000"),
    "out_of_pocket": Decimal("3000"),
    "dropout": False,
    "uninsured_member": False,
    "housing_unsafe": False,
    "water_unsafe": False,
}
AFTER = {
    "elimination_method": "assisted",
    "eliminated_on": dt.date(2026, 8, 1),
    "eliminated_month": "202608",
    "after_dropout": False,
    "after_housing_damaged": False,
    "after_uninsured": False,
    "after_water_damaged": False,
    "after_wage": Decimal("20000"),
    "after_property": Decimal("0"),
    "after_transfer": Decimal("1000"),
    "after_business": Decimal("0"),
    "after_business_cost": Decimal("0"),
    "after_net_income": Decimal("21000"),
    "after_per_capita_income": Decimal("10500"),
    "after_claims_income": Decimal("0"),
    "after_out_of_pocket": Decimal("2000"),
}


@pytest.fixture
def params(tree):
    services.load_default_parameters()


def make_case(household, status=S.MONITORED, **fields):
    """A case written directly in `status` (fixture data: the workflow's guards are tested elsewhere)."""
    values = {**IDENTIFIED, **(AFTER if status == S.ELIMINATED else {}), **fields}
    return MonitoringCase.objects.create(
        household=household, status=status, channel="cadre", stage_entered_at=timezone.now(), **values
    )


def add_measure(case, category, subtype, start_on=RECORDED + dt.timedelta(days=5)):
    return AssistanceMeasure.objects.create(
        case=case, category=category, subtype=subtype, start_on=start_on, provider="县乡村振兴局"
    )


def ill_household(village, **kwargs):
    """A household whose head has a serious illness (so the 因病 checks have their member)."""
    household = make_household(village, **kwargs)
    household.members.filter(relation="head").update(serious_illness=True)
    return household


def assisted(case):
    """The measures a well-kept 因病 case has: health and employment (developmental)."""
    add_measure(case, "health", "医疗救助")
    add_measure(case, "employment", "转移就业")
    return case


def rules(obj, day=DAY):
    return {issue.rule for issue in quality_issues(obj, day)}


def explanation(obj, rule, day=DAY):
    return next(i.explanation for i in quality_issues(obj, day) if i.rule == rule)


def set_skills(household, *skills):
    for person, skill in zip(household.members.order_by("pk"), skills, strict=True):
        Person.objects.filter(pk=person.pk).update(labour_skill=skill)


# ---------------------------------------------------------------- well-kept cases have no issue


def test_well_kept_cases_have_no_issue(params, tree):
    monitored = assisted(make_case(ill_household(tree.village_a)))
    eliminated = assisted(make_case(ill_household(tree.village_a), S.ELIMINATED))
    assert quality_issues(monitored.household, DAY) == []
    assert quality_issues(eliminated.household, DAY) == []
    assert quality_issues(monitored, DAY) == []


def test_cases_in_identification_or_rejected_are_not_checked(params, tree):
    for status in (S.CLUE, S.NOTICE, S.REJECTED):
        case = make_case(make_household(tree.village_a), status, identified_month="", risks=[], dropout=None)
        assert quality_issues(case, DAY) == [], status


# ---------------------------------------------------------------- registry: not a monitoring object


def test_1_02_001_dangerous_house_not_monitored(params, tree):
    household = make_household(tree.village_a)
    assert "1_02_001" not in rules(household)  # grade B
    household.housing_grade = "D"
    household.save()
    assert rules(household) == {"1_02_001"}
    assert "D级（整幢危房）" in explanation(household, "1_02_001")
    assert "脱贫户" in explanation(household, "1_02_001")
    ordinary = make_household(tree.village_a, household_type="ordinary")
    ordinary.housing_grade = "C"
    ordinary.save()
    assert rules(ordinary) == {"1_02_001"}
    make_case(household, S.CLUE)  # being identified: handled, not flagged
    assert rules(household) == set()


def test_1_02_001_cancelled_household_is_not_flagged(params, tree):
    household = make_household(tree.village_a)
    household.housing_grade, household.status = "D", "cancelled"
    household.save()
    assert rules(household) == set()


def test_1_02_002_unsafe_water_not_monitored(params, tree):
    household = make_household(tree.village_a)
    household.water_quality_ok = None
    household.save()
    assert rules(household) == set()  # unknown is not unsafe
    household.water_quality_ok = False
    household.save()
    assert rules(household) == {"1_02_002"}
    assert "水质达标" in explanation(household, "1_02_002")
    household.members.filter(relation="head").update(serious_illness=True)
    assisted(make_case(household))
    assert rules(household) == set()


def test_1_02_008_eliminated_household_in_dangerous_house(params, tree):
    case = assisted(make_case(ill_household(tree.village_a), S.ELIMINATED))
    household = case.household
    household.housing_grade = "C"
    household.save()
    assert rules(household) == {"1_02_008"}  # not 1_02_001 as well
    assert "C级（局部危房）" in explanation(household, "1_02_008")
    household.housing_grade = "B"
    household.save()
    MonitoringCase.objects.filter(pk=case.pk).update(after_housing_damaged=True)
    assert rules(household) == {"1_02_008"}


# ---------------------------------------------------------------- fields


def test_1_11_002_identification_fields_missing(params, tree):
    case = assisted(make_case(ill_household(tree.village_a), identified_month="", dropout=None))
    assert rules(case) == {"1_11_002"}
    text = explanation(case, "1_11_002")
    assert "识别监测时间" in text and "是否义务教育阶段适龄儿童少年失学辍学" in text
    assert "识别时家庭人均纯收入" not in text


def test_1_11_004_after_fields_missing_only_when_eliminated(params, tree):
    case = assisted(make_case(ill_household(tree.village_a), S.ELIMINATED, after_wage=None))
    assert rules(case) == {"1_11_004"}
    assert explanation(case, "1_11_004") == "未填写：风险消除后工资性收入"
    monitored = assisted(make_case(ill_household(tree.village_a), after_wage=None))
    assert rules(monitored) == set()


def test_2_11_005_disaster_without_subtype(params, tree):
    case = make_case(make_household(tree.village_a), risks=["natural_disaster"])
    add_measure(case, "employment", "转移就业")
    assert rules(case) == {"2_11_005"}
    MonitoringCase.objects.filter(pk=case.pk).update(disaster_subtype="flood")
    case.refresh_from_db()
    assert rules(case) == set()


# ---------------------------------------------------------------- measures


def test_1_11_009_assisted_elimination_without_measures(params, tree):
    case = make_case(ill_household(tree.village_a), S.ELIMINATED)
    assert "1_11_009" in rules(case)
    add_measure(case, "health", "医疗救助", start_on=dt.date(2026, 8, 2))  # after the elimination: not taken
    assert "未登记任何帮扶措施" in explanation(case, "1_11_009")
    add_measure(case, "health", "医疗救助")
    assert "未实施产业、就业、金融或公益岗位帮扶" in explanation(case, "1_11_009")  # has labour
    add_measure(case, "public_post", "村级公益岗")
    assert "1_11_009" not in rules(case)


def test_1_11_009_natural_elimination_and_no_labour(params, tree):
    natural = make_case(ill_household(tree.village_a), S.ELIMINATED, elimination_method="natural")
    add_measure(natural, "health", "医疗救助")
    assert rules(natural) == set()
    no_labour = make_case(ill_household(tree.village_a), S.ELIMINATED)
    set_skills(no_labour.household, "none", "lost")
    add_measure(no_labour, "health", "医疗救助")
    assert rules(no_labour) == set()


def test_1_11_010_no_measure_a_month_after_identification(params, tree):
    case = make_case(ill_household(tree.village_a))
    assert rules(case, dt.date(2026, 2, 9)) == set()  # the day before the month is up
    assert rules(case, dt.date(2026, 2, 10)) == {"1_11_010"}  # ≥ 1 month
    add_measure(case, "health", "医疗救助")
    assert "1_11_010" not in rules(case, dt.date(2026, 2, 10))


def test_5_12_007_labour_without_developmental_measure_after_six_months(params, tree):
    case = make_case(ill_household(tree.village_a))
    add_measure(case, "health", "医疗救助")
    assert rules(case, dt.date(2026, 7, 9)) == set()
    assert rules(case, dt.date(2026, 7, 10)) == {"5_12_007"}
    set_skills(case.household, "none", "lost")
    assert rules(case, dt.date(2026, 7, 10)) == set()
    set_skills(case.household, "weak", "lost")
    add_measure(case, "finance", "小额信贷")
    assert rules(case, dt.date(2026, 7, 10)) == set()


def test_3_11_003_and_3_11_004_eliminated_risk_without_matching_measure(params, tree):
    case = make_case(ill_household(tree.village_a), S.ELIMINATED, risks=["illness", "education"])
    add_measure(case, "employment", "转移就业")
    assert rules(case) == {"3_11_003", "3_11_004"}
    assert "健康帮扶" in explanation(case, "3_11_003") and "就业帮扶" in explanation(case, "3_11_003")
    add_measure(case, "social", "结对帮扶")  # answers both
    assert rules(case) == set()
    enrolled = make_case(ill_household(tree.village_a), risks=["illness", "education"])
    add_measure(enrolled, "employment", "转移就业")
    assert rules(enrolled) == set()  # eliminated cases only (the worklist alerts the enrolled ones)


@pytest.mark.parametrize(
    ("risk", "rule", "answer"),
    [("water_unsafe", "5_18_006", "water"), ("housing_unsafe", "housing_measure", "relocation")],
)
def test_water_and_housing_risk_without_matching_measure(params, tree, risk, rule, answer):
    case = make_case(make_household(tree.village_a), risks=[risk])
    add_measure(case, "employment", "转移就业")
    assert rules(case, dt.date(2026, 2, 9)) == set()  # within the measure deadline
    assert rules(case, dt.date(2026, 2, 10)) == {rule}
    add_measure(case, answer, "其他")
    assert rules(case, dt.date(2026, 2, 10)) == set()
    eliminated = make_case(make_household(tree.village_a), S.ELIMINATED, risks=[risk])
    add_measure(eliminated, "employment", "转移就业")
    assert rules(eliminated) == {rule}


# ---------------------------------------------------------------- labour


def labour_case(village, members, skills, status=S.MONITORED):
    household = make_household(village, members=members)
    set_skills(household, *skills)
    case = make_case(household, status, risks=["lack_of_labour"])
    add_measure(case, "comprehensive", "纳入低保")
    add_measure(case, "public_post", "村级公益岗")
    return case


def test_4_11_009_all_members_have_labour_but_risk_is_lack_of_labour(params, tree):
    case = labour_case(tree.village_a, 2, ("ordinary", "weak"))
    assert rules(case) == {"4_11_009"}
    assert "家庭成员 2 人中有劳动能力" in explanation(case, "4_11_009")
    eliminated = labour_case(tree.village_a, 2, ("ordinary", "weak"), S.ELIMINATED)
    assert rules(eliminated) == {"labour_quarter"}  # 4_11_009 is for households not eliminated


def test_5_11_029_half_of_four_members_have_labour(params, tree):
    assert rules(labour_case(tree.village_a, 4, ("ordinary", "ordinary", "none", "none"))) == {"5_11_029"}
    assert rules(labour_case(tree.village_a, 4, ("ordinary", "weak", "ordinary", "none"))) == {"5_11_029"}


def test_quarter_rule_boundary(params, tree):
    assert rules(labour_case(tree.village_a, 4, ("ordinary", "none", "none", "lost"))) == set()  # exactly ¼
    assert rules(labour_case(tree.village_a, 3, ("ordinary", "none", "lost"))) == {"labour_quarter"}
    assert rules(labour_case(tree.village_a, 2, ("lost", "none"))) == set()


def test_5_15_013_employment_unstable_but_nobody_can_work(params, tree):
    case = make_case(make_household(tree.village_a), risks=["employment_unstable"])
    add_measure(case, "comprehensive", "纳入低保")
    set_skills(case.household, "none", "lost")
    assert rules(case) == {"5_15_013"}
    set_skills(case.household, "none", "weak")
    add_measure(case, "employment", "转移就业")
    assert rules(case) == set()


# ---------------------------------------------------------------- illness, income and timing


def test_5_15_015_illness_without_ill_member(params, tree):
    case = assisted(make_case(make_household(tree.village_a)))
    assert rules(case) == {"5_15_015"}
    case.household.members.filter(relation="spouse").update(chronic_disease=True)
    assert rules(case) == set()


def test_5_15_020_illness_with_zero_out_of_pocket(params, tree):
    case = assisted(make_case(ill_household(tree.village_a), out_of_pocket=Decimal("0")))
    assert rules(case) == {"5_15_020"}
    MonitoringCase.objects.filter(pk=case.pk).update(out_of_pocket=Decimal("0.01"))
    case.refresh_from_db()
    assert rules(case) == set()


def test_4_11_010_assisted_elimination_below_the_line(params, tree):
    case = assisted(
        make_case(ill_household(tree.village_a), S.ELIMINATED, after_per_capita_income=Decimal("8599.99"))
    )
    assert rules(case) == {"4_11_010"}
    assert "8599.99 元，低于 2026 年监测范围 8600" in explanation(case, "4_11_010")
    MonitoringCase.objects.filter(pk=case.pk).update(after_per_capita_income=Decimal("8600"))
    case.refresh_from_db()
    assert rules(case) == set()  # exactly the line
    MonitoringCase.objects.filter(pk=case.pk).update(
        after_per_capita_income=Decimal("5000"), elimination_method="natural"
    )
    case.refresh_from_db()
    assert rules(case) == set()


def test_guizhou_assisted_elimination_in_the_identification_month_or_the_next(params, tree):
    case = assisted(
        make_case(
            ill_household(tree.village_a),
            S.ELIMINATED,
            eliminated_month="202602",
            eliminated_on=dt.date(2026, 2, 20),
        )
    )
    assert rules(case) == {"gz_early_elimination"}
    MonitoringCase.objects.filter(pk=case.pk).update(
        eliminated_month="202603", eliminated_on=dt.date(2026, 3, 1)
    )
    case.refresh_from_db()
    assert rules(case) == set()
    MonitoringCase.objects.filter(pk=case.pk).update(
        eliminated_month="202601", eliminated_on=dt.date(2026, 1, 20), elimination_method="natural"
    )
    case.refresh_from_db()
    assert rules(case) == set()


def test_every_rule_has_a_chinese_title(params):
    assert all(rule.title and rule.severity in ("high", "medium", "low") for rule in RULES.values())


# ---------------------------------------------------------------- scope: functions, page, export, panel


@pytest.fixture
def flagged(params, tree, households):
    """Each household in a dangerous house and not monitored (1_02_001); household a also with bad water."""
    for key, h in households.items():
        h.housing_grade = "D"
        h.water_quality_ok = False if key == "a" else None
        h.save()
    return households


def test_region_and_village_quality_are_scoped(flagged, tree, cast):
    found = region_quality(cast["township_officer"], None, DAY)
    assert {i.household.pk for i in found} == {flagged["a"].pk, flagged["b"].pk}
    assert {i.rule for i in village_quality(cast["village_cadre"], tree.village_a, DAY)} == {
        "1_02_001",
        "1_02_002",
    }
    with pytest.raises(Http404):
        village_quality(cast["village_cadre"], tree.village_b, DAY)
    with pytest.raises(Http404):
        region_quality(cast["outsider"], tree.county, DAY)


def test_village_quality_reads_a_fixed_number_of_queries(params, tree, cast, django_assert_max_num_queries):
    for _ in range(6):
        assisted(make_case(ill_household(tree.village_a)))
        assisted(make_case(ill_household(tree.village_a), S.ELIMINATED))
    with django_assert_max_num_queries(12):
        assert village_quality(cast["village_cadre"], tree.village_a, DAY) == []


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_quality_pages_list_only_the_scope(client, flagged, tree, cast, username):
    villages = {"a": tree.village_a, "b": tree.village_b, "c": tree.village_c, "d": tree.village_d}
    with time_machine.travel(dt.datetime(2026, 9, 1, 9), tick=False):
        client.login(username=username, password=PASSWORD)
        page = client.get(reverse("monitoring:quality_list"))
        assert page.status_code == 200
        listed = page.content.decode()
        for key, household in flagged.items():
            village_page = client.get(reverse("monitoring:quality_village", args=[villages[key].pk]))
            if key in VISIBLE[username]:
                assert household.number in listed, (username, key)
                assert village_page.status_code == 200
                assert household.number in village_page.content.decode()
            else:
                assert household.number not in listed, (username, key)
                assert village_page.status_code == 404, (username, key)
        outside = client.get(reverse("monitoring:quality_list"), {"region": tree.other_county.code})
        if "d" not in VISIBLE[username]:
            assert outside.status_code == 200
            assert flagged["d"].number not in outside.content.decode()


def test_quality_page_filters_and_export(client, flagged, tree, cast):
    client.login(username="county_officer", password=PASSWORD)
    url = reverse("monitoring:quality_list")
    only_water = client.get(url, {"rule": "1_02_002"}).content.decode()
    assert flagged["a"].number in only_water and flagged["b"].number not in only_water
    township = client.get(url, {"region": tree.township_2.code}).content.decode()
    assert flagged["c"].number in township and flagged["a"].number not in township
    assert client.get(url, {"severity": "low"}).content.decode().count(flagged["a"].number) == 0
    response = client.get(url, {"severity": "high", "export": "xlsx"})
    assert response.status_code == 200
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert rows[0][:5] == ["村", "户编号", "户主", "监测对象", "规则编号"]
    assert sorted((r[1], r[4]) for r in rows[1:]) == sorted(
        [(flagged["a"].number, "1_02_001"), (flagged["a"].number, "1_02_002")]
        + [(flagged[k].number, "1_02_001") for k in "bc"]
    )


def test_quality_page_needs_the_permission(client, flagged, tree):
    user = get_user_model().objects.create_user("plain", password=PASSWORD, region=tree.county)
    client.login(username="plain", password=PASSWORD)
    assert client.get(reverse("monitoring:quality_list")).status_code == 403
    assert client.get(reverse("monitoring:quality_village", args=[tree.village_a.pk])).status_code == 403
    assert quality_panel(flagged["a"], user) is None


def test_household_panel(flagged, tree, cast):
    with time_machine.travel(dt.datetime(2026, 9, 1, 9), tick=False):
        panel = quality_panel(flagged["a"], cast["village_cadre"])
        assert panel["title"] == "数据质量问题（2）"
        html = render_to_string(panel["template"], {"data": panel["context"]})
        assert "1_02_001" in html and "住危房但未纳入监测对象" in html and "水质达标" in html
        assert quality_panel(flagged["a"], cast["village_cadre_b"]) is None  # out of scope
        clean = make_household(tree.village_a)
        assert quality_panel(clean, cast["village_cadre"]) is None
