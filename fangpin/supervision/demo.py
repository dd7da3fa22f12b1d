"""The demo's supervision workload (issue #6): problem clues from the screening's comparison hits, handed over in
batches to townships and to the county's line departments and walked by the services to every stage of their
lifecycle; leaders' visits; the year's assessment of townships and departments; talks with the units that must
be talked to.

Everything goes through the real services, each step by the official whose role owns it (the demo account sitting
there, or an account made with an unusable password by `demo-cases`' Actors), so each StatusChange, change-log
row and guard is real. Two things are written in bulk, each logged with `changelog.log_bulk`: the deadlines of
the clues meant to show as overdue are moved into the past (a hand-over refuses a past deadline) before the
escalation job escalates them, and the secretaries' visits to every poor household are created at once.

Idempotent: a county that already has clues is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from django.db import transaction

from fangpin.accounts.models import Department, User
from fangpin.core import changelog
from fangpin.geo.models import Region
from fangpin.monitoring.demo_cases import Actors, Summary
from fangpin.monitoring.models import Warning
from fangpin.supervision.choices import AccountabilityType, Classification, UnitKind, VisitorPost
from fangpin.supervision.models import Clue, LeaderVisit
from fangpin.supervision.services import assessment, clues, evidence, governance

S = Clue.Status
# A small but real PDF header: the evidence check reads the leading bytes.
PDF = b"%PDF-1.4\n% fangpin demo evidence\n"
# The line department that answers for a comparison rule's problem (the rest go to the township).
RULE_DEPARTMENTS = {
    "BD-02": Department.CIVIL_AFFAIRS,
    "BD-09": Department.CIVIL_AFFAIRS,
    "BD-12": Department.CIVIL_AFFAIRS,
    "BD-10": Department.EDUCATION,
    "BD-13": Department.EDUCATION,
    "BD-11": Department.HUMAN_RESOURCES,
}
# Where the clues end, in shares of the deck (deterministic per seed).
DECK = (
    (S.GENERATED, 2), (S.ASSIGNED, 2), (S.VERIFYING, 2), (S.UNFOUNDED, 2), (S.CONFIRMED, 1), (S.RECTIFYING, 2),
    (S.RECTIFIED, 2), (S.SPOT_CHECK, 1), (S.CLOSED, 4), (S.ESCALATED, 2),
)  # fmt: skip
ORDER = (S.ASSIGNED, S.VERIFYING, S.CONFIRMED, S.RECTIFYING, S.RECTIFIED, S.SPOT_CHECK, S.CLOSED)


def township_of(region: Region) -> Region:
    node = region
    while node.level not in ("township", "county"):
        node = node.parent
    return node


def _target_states(count: int, rng: random.Random) -> list[str]:
    deck = [state for state, weight in DECK for _ in range(weight)]
    states = [deck[i % len(deck)] for i in range(count)]
    rng.shuffle(states)
    return states


def _walk(
    clue: Clue, target: str, handler: User, supervisor: User, checker: User, rng: random.Random
) -> None:
    """Take `clue` (assigned) through the lifecycle to `target`, each step by its owner."""
    if target == S.ASSIGNED:
        return
    clues.start_verifying(clue, user=handler)
    if target == S.VERIFYING:
        return
    if target == S.UNFOUNDED:
        evidence.add_evidence(clue, user=handler, name="核查记录.pdf", content=PDF, note="入户核查记录")
        clues.close_unfounded(
            clue, user=handler, verification_note="经入户核实和部门复核，线索反映问题不属实"
        )
        return
    discipline = rng.random() < 0.25
    classification = (
        Classification.DISCIPLINE
        if discipline
        else rng.choice([Classification.DATA_ERROR, Classification.POLICY_DEVIATION])
    )
    clues.confirm(clue, user=handler, classification=classification, verification_note="经核查，问题属实")
    if target == S.CONFIRMED:
        return
    actions = ["exclude", "recover_funds"] if discipline else ["correct_data"]
    clues.start_rectifying(clue, user=handler, actions=actions)
    if discipline:
        clues.hold_accountable(clue, user=supervisor, comment="违纪违规，转入问责")
        clues.record_accountability(
            clue,
            user=supervisor,
            accountability_type=AccountabilityType.PARTY_DISCIPLINE,
            persons_accountable=1,
        )
    if target == S.RECTIFYING:
        return
    evidence.add_evidence(clue, user=handler, name="整改材料.pdf", content=PDF, note="整改佐证")
    clues.mark_rectified(
        clue,
        user=handler,
        rectification_note="已更正数据并完成整改",
        funds_recovered=(clue.amount_involved or 1200) if discipline else 0,
    )
    if target == S.RECTIFIED:
        return
    if target == S.SPOT_CHECK or rng.random() < 0.3:
        clues.select_for_spot_check(clue, user=checker)
        if target == S.SPOT_CHECK:
            return
        clues.pass_spot_check(clue, user=checker, note="抽查属实，整改到位")
    else:
        clues.close(clue, user=supervisor, comment="整改到位，予以销号")


def build(county: Region, *, seed: int = 1, size: int = 60, today: dt.date | None = None) -> Counter:
    """Clues, visits, the assessment and talks for `county`, all or nothing; returns what was made, by kind."""
    with transaction.atomic():
        return _build(county, seed=seed, size=size, today=today)


def _build(county: Region, *, seed: int, size: int, today: dt.date | None) -> Counter:
    made: Counter = Counter()
    if Clue.objects.filter(assigned_region__path__startswith=county.path).exists():
        return made
    today = today or clues.today()
    rng = random.Random(f"demo-supervision:{seed}")
    people = Actors(seed, Summary())
    supervisor = people.get("supervisor", county)
    city = county.parent
    hits = list(
        Warning.objects.filter(
            produces=Warning.Produces.CLUE,
            household__region__path__startswith=county.path,
            resolved_by__isnull=True,
        ).order_by("pk")
    )
    rng.shuffle(hits)
    hits = hits[:size]
    if not hits:
        return made
    generated = clues.clues_from_warnings(hits, user=supervisor).created
    made["clues"] = len(generated)
    states = _target_states(len(generated), rng)
    batches: dict[tuple[int, str], list[tuple[Clue, str]]] = {}
    for clue, state in zip(generated, states, strict=True):
        if state == S.GENERATED:
            continue
        department = RULE_DEPARTMENTS.get(clue.rule_code, "")
        unit = county if department else township_of(clue.region)
        batches.setdefault((unit.pk, department), []).append((clue, state))
    deadline = today + dt.timedelta(days=30)
    checker = people.get("department", city, Department.CIVIL_AFFAIRS)
    for (unit_id, department), members in sorted(batches.items()):
        unit = Region.objects.get(pk=unit_id)
        handler = people.get("department", unit, department) if department else people.get(unit.level, unit)
        label = f"{unit.name}{Department(department).label if department else ''}"
        clues.assign_batch(
            [c for c, _ in members], user=supervisor, title=f"{today:%Y年%m月}大数据比对线索（{label}）",
            unit=unit, lead_official=handler.display_name or handler.username, deadline=deadline,
            department=department, note="请按期核查整改并上传佐证材料",
        )  # fmt: skip
        made["batches"] += 1
        for clue, state in members:
            clue.refresh_from_db()
            if state == S.ESCALATED:
                _walk(
                    clue,
                    rng.choice([S.ASSIGNED, S.VERIFYING, S.RECTIFYING]),
                    handler,
                    supervisor,
                    checker,
                    rng,
                )
                _overdue(clue, today)
            else:
                _walk(clue, state, handler, supervisor, checker, rng)
    made["escalated"] = clues.escalate_overdue(today, source="command:demo-supervision")
    made["visits"] = _visits(county, people, rng, today)
    made.update(_assess_and_talk(county, people, supervisor, today))
    return made


def _overdue(clue: Clue, today: dt.date) -> None:
    """Move the deadline of a clue meant to be overdue into the past (logged), for the escalation job to find."""
    clue.refresh_from_db()
    past = today - dt.timedelta(days=3)
    count = Clue.objects.filter(pk=clue.pk).update(deadline=past)
    changelog.log_bulk(Clue, "update", count, description=f"演示：{clue.number} 整改时限改为 {past}（逾期）")


def _visits(county: Region, people: Actors, rng: random.Random, today: dt.date) -> int:
    """Leaders' visit-all duty: the county secretary's visits to poor villages through the service; the township
    and village secretaries' visits to the tens of thousands of poor households in one logged bulk write (the
    service per row would take minutes). Each township gets its own completion rate, so the coverage page and
    the assessment show lagging townships."""
    day = min(today, max(dt.date(today.year, 1, 2), today - dt.timedelta(days=40)))
    made = 0
    for village in governance.poor_villages(county):
        if rng.random() < 0.9:
            governance.record_visit(
                user=people.get("county", county), visitor="县委书记", post=VisitorPost.COUNTY_SECRETARY,
                region=village, visited_on=day,
            )  # fmt: skip
            made += 1
    rates: dict[int, float] = {}
    rows = []
    households = governance.poor_households(county).select_related("region__parent").order_by("pk")
    for household in households.iterator(chunk_size=5000):
        township = household.region.parent
        rate = rates.setdefault(township.pk, rng.choice([0.99, 0.97, 0.95, 0.9, 0.8, 0.6]))
        for post, visitor in (
            (VisitorPost.TOWNSHIP_SECRETARY, "乡镇党委书记"),
            (VisitorPost.VILLAGE_SECRETARY, "村党组织书记"),
        ):
            if rng.random() < rate:
                rows.append(
                    LeaderVisit(
                        visitor=visitor,
                        post=post,
                        region=household.region,
                        household=household,
                        visited_on=day,
                        note="遍访贫困户",
                        created_by=people.get("township", township),
                    )  # fmt: skip
                )
    LeaderVisit.objects.bulk_create(rows, batch_size=5000)
    changelog.log_bulk(LeaderVisit, "create", len(rows), description=f"演示：遍访贫困户记录 × {len(rows)}")
    return made + len(rows)


def _assess_and_talk(county: Region, people: Actors, supervisor: User, today: dt.date) -> Counter:
    """Set this year's indicators (the defaults) for townships and departments, assess, talk to the must-talks."""
    made: Counter = Counter()
    organiser = people.get("county", county)
    year = today.year
    with transaction.atomic():
        for kind in UnitKind.values:
            weights = assessment.initial_weights(county, year, kind)
            assessment.set_indicators(county, year, weights, user=organiser, kind=kind)
        results = assessment.assess(county, year, user=organiser, day=today)
    made["assessed"] = len(results)
    for result in results:
        if not result.must_talk:
            continue
        governance.record_talk(
            user=supervisor, region=result.unit, department=result.department,
            persons=f"{result.unit_name}主要负责人", held_on=today, held_by="县纪委监委",
            reason="；".join(assessment.must_talk_reasons(result)),
            commitments="一个月内完成逾期线索整改并报送整改报告",
        )  # fmt: skip
        made["talks"] += 1
    return made
