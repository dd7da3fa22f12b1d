"""`fangpin demo-supervision`: clues in many stages, each walked by its owner through the services, handed to
townships and to the county's departments; visits, the assessment of both kinds of unit, the talks; a second run
adds nothing."""

from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from fangpin.core.models import ObjectChange, StatusChange
from fangpin.core.testing import make_household
from fangpin.supervision.demo import RULE_DEPARTMENTS
from fangpin.supervision.models import AssessmentResult, Clue, LeaderVisit, Talk
from fangpin.supervision.services.workflow import CLUE_WORKFLOW, HANDLE_PERMISSION
from fangpin.supervision.tests.test_clue_path import comparison_hit

S = Clue.Status
CODES = ["BD-02", "BD-03", "BD-04", "BD-09", "BD-10", "BD-11", "BD-05", "BD-12"]


@pytest.fixture
def demo(tree, cast):
    villages = [tree.village_a, tree.village_b, tree.village_c]
    for i in range(24):
        comparison_hit(make_household(villages[i % 3]), code=CODES[i % len(CODES)])
    call_command("demo_supervision", "--county", tree.county.code, "--size", "24")
    return tree


def timeline(clue):
    kind = ContentType.objects.get_for_model(Clue)
    return list(StatusChange.objects.filter(content_type=kind, object_id=clue.pk).order_by("time", "id"))


def test_clues_in_many_stages_each_walked_by_its_owner(demo):
    all_clues = list(Clue.objects.select_related("assigned_region"))
    assert len(all_clues) == 24
    statuses = Counter(c.status for c in all_clues)
    assert {S.GENERATED, S.ASSIGNED, S.UNFOUNDED, S.CLOSED, S.ESCALATED} <= set(statuses), statuses
    assert len(statuses) >= 7
    for clue in all_clues:
        changes = timeline(clue)
        assert changes[0].transition == "open"
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_status == before.to_status, clue.number
        assert changes[-1].to_status == clue.status
        for change in changes[1:]:
            step = CLUE_WORKFLOW.by_name[change.transition]
            if change.user is None:  # the escalation job
                assert change.transition == "escalate"
                continue
            assert change.user.has_perm(step.permission), (clue.number, change.transition)
            if step.permission == HANDLE_PERMISSION:
                assert change.user.department == clue.assigned_department
                assert change.user.region_id == clue.assigned_region_id
        if clue.status != S.GENERATED:
            expected = RULE_DEPARTMENTS.get(clue.rule_code, "")
            assert clue.assigned_department == expected
            assert clue.assigned_region == (demo.county if expected else clue.region.parent)


def test_overdue_clues_are_escalated_and_the_moved_deadlines_are_logged(demo):
    escalated = Clue.objects.filter(status=S.ESCALATED)
    assert escalated.exists()
    for clue in escalated:
        assert timeline(clue)[-1].transition == "escalate" and clue.escalation_reason.startswith(
            "超过整改时限"
        )
    moved = ObjectChange.objects.filter(
        source="command:demo-supervision", object_repr__contains="整改时限改为"
    )
    assert moved.count() == escalated.count()


def test_visits_assessment_and_talks(demo):
    assert LeaderVisit.objects.filter(post="county_secretary").exists()
    assert LeaderVisit.objects.filter(post="township_secretary").exists()
    assert ObjectChange.objects.filter(
        source="command:demo-supervision", content_type=ContentType.objects.get_for_model(LeaderVisit)
    ).exists()
    results = AssessmentResult.objects.filter(unit__path__startswith=demo.county.path)
    departments = set(results.exclude(department="").values_list("department", flat=True))
    # The departments with clues handed to them and the department accounts of the county are assessed.
    assert {"civil_affairs", "education", "human_resources", "medical_insurance"} <= departments
    assert results.filter(department="", unit=demo.township).exists()
    must_talk = results.filter(must_talk=True)
    talks = {(t.region_id, t.department) for t in Talk.objects.all()}
    assert talks == {(r.unit_id, r.department) for r in must_talk}


def test_a_second_run_adds_nothing(demo):
    before = (
        Clue.objects.count(),
        LeaderVisit.objects.count(),
        Talk.objects.count(),
        StatusChange.objects.count(),
    )
    call_command("demo_supervision", "--county", demo.county.code, "--size", "24")
    after = (
        Clue.objects.count(),
        LeaderVisit.objects.count(),
        Talk.objects.count(),
        StatusChange.objects.count(),
    )
    assert after == before
