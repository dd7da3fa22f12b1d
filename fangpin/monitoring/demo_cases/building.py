"""`build()`: pick households and walk each demo case through the services by its officials."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import Sum

from fangpin.accounts.models import User
from fangpin.assistance import services as assistance
from fangpin.assistance.choices import DEVELOPMENTAL
from fangpin.core.models import StatusChange
from fangpin.core.workflow import TransitionRefused
from fangpin.geo.models import Region
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.demo_cases.context import Actors, Context, Summary, _identified_persons, _subtree
from fangpin.monitoring.demo_cases.data import CHANNELS, DECK, ELIMINATION, REJECTIONS, S
from fangpin.monitoring.demo_cases.dating import _shift_follow_up, _shift_identification
from fangpin.monitoring.demo_cases.planning import Plan
from fangpin.monitoring.models import MonitoringCase, Warning
from fangpin.monitoring.services import cases
from fangpin.registry.choices import UNSAFE_HOUSING_GRADES
from fangpin.registry.models import Household, HouseholdIncome, Person


def build(region: Region, *, seed: int = 1, share: float = 0.12, progress=None) -> Summary:
    """Create the demo's monitoring cases in `region` (see the module docstring) and say what was done.
    `progress(label, done, total)` is called after each case."""
    summary = Summary()
    ctx = Context(seed, region, Actors(seed, summary), summary)
    poor = _subtree(Household.objects, region).filter(household_type="exited", status=Household.Status.ACTIVE)
    summary.registered_poor_persons = poor.aggregate(n=Sum("member_count"))["n"] or 0
    plans = _pick(ctx, round(share * summary.registered_poor_persons) - _identified_persons(region))
    if plans:
        with transaction.atomic():
            ctx.status_changes_before = (
                StatusChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            )
            _identify_all(plans, ctx, progress)
            _shift_identification(plans, ctx)
            _follow_up_all(plans, ctx, progress)
            _shift_follow_up(plans, ctx)
    summary.created = Counter(plan.case.status for plan in plans)
    summary.identified_persons = _identified_persons(region)
    return summary


def _pick(ctx: Context, budget: int) -> list[Plan]:
    """Households without a case, in seeded order, until the identified ones hold `budget` persons: those with
    open monitoring warnings first (60 %), then those a cadre would find (income below the edge line, unsafe
    housing) as cadre-screening or self-report clues."""
    if budget <= 0:
        return []
    free = _subtree(Household.objects, ctx.region).filter(status=Household.Status.ACTIVE, cases__isnull=True)
    warned = _subtree(Warning.objects, ctx.region, "household__region__path").filter(
        status=Warning.Status.OPEN, produces=Warning.Produces.WARNING, household__cases__isnull=True
    )
    sizes = dict(free.values_list("id", "member_count"))
    at_risk = free.filter(per_capita_income__lt=ctx.line * ctx.edge_multiple) | free.filter(
        housing_grade__in=UNSAFE_HOUSING_GRADES
    )
    pools = {"department": sorted(set(warned.values_list("household_id", flat=True)) & sizes.keys())}
    pools["cadre"] = sorted(set(at_risk.values_list("id", flat=True)) - set(pools["department"]))
    rng = random.Random(f"demo-cases:{ctx.seed}")
    for ids in pools.values():
        rng.shuffle(ids)
    deck = list(DECK)
    rng.shuffle(deck)
    picks = []
    names, weights = zip(*CHANNELS, strict=True)
    while budget > 0 and (pools["department"] or pools["cadre"]):
        channel = rng.choices(names, weights)[0]
        pool = "department" if channel == "department" else "cadre"
        if not pools[pool]:
            pool = "cadre" if pool == "department" else "department"
            channel = "department" if pool == "department" else "cadre"
        household_id, stage = pools[pool].pop(), deck[len(picks) % len(deck)]
        picks.append((household_id, channel, stage))
        if stage in (*MonitoringCase.ENROLLED, S.ELIMINATED):
            budget -= sizes[household_id]
    return _plans(picks, ctx)


def _plans(picks, ctx: Context) -> list[Plan]:
    ids = [household_id for household_id, _, _ in picks]
    households = Household.objects.filter(pk__in=ids).select_related("region__parent__parent").in_bulk()
    plans = {hid: Plan(households[hid], channel, stage) for hid, channel, stage in picks}
    fields = ("household_id", "labour_skill", "serious_illness", "chronic_disease", "disabled",
              "resident_medical", "employee_medical")  # fmt: skip
    for row in Person.objects.filter(household_id__in=ids).values(*fields):
        plans[row["household_id"]].members.append(row)
    for income in HouseholdIncome.objects.filter(household_id__in=ids).order_by("household_id", "-year"):
        plans[income.household_id].income = plans[income.household_id].income or income
    warnings = Warning.objects.filter(
        household_id__in=ids, status=Warning.Status.OPEN, produces=Warning.Produces.WARNING
    ).order_by("household_id", "rule_code")
    for warning in warnings:
        plan = plans[warning.household_id]
        if plan.channel == "department":
            plan.warnings.append(warning)
    ordered = [plans[hid] for hid in ids]
    # Villages where someone logs in (a village account with a password) are planned first, so the demo login's
    # worklist shows an overdue step, an alert and a missed visit even in a small village.
    logins = ctx.actors.login_villages()
    waiting = []  # elimination stages drawn for households that could not be eliminated
    for plan in sorted(ordered, key=lambda p: p.village.pk not in logins):
        plan.prepare(ctx)
        if plan.stage in (*MonitoringCase.ELIMINATING, S.ELIMINATED) and not plan.eligible:
            waiting.append(plan.stage)
            plan.stage = S.MONITORED
        elif plan.stage == S.MONITORED and plan.eligible and waiting:
            plan.stage = waiting.pop(0)
        plan.plan(ctx)
    return ordered


def _identify_all(plans: list[Plan], ctx: Context, progress) -> None:
    by_village: dict[int, list[Plan]] = defaultdict(list)
    for plan in plans:
        by_village[plan.village.pk].append(plan)
    done = 0
    for village_plans in by_village.values():
        clerk = ctx.actors.get("village", village_plans[0].village)
        warned = [p for p in village_plans if p.channel == "department"]
        if warned:  # the village's warnings become clues in one call, as the "all to clues" button does
            result = cases.clues_from_warnings([w for p in warned for w in p.warnings], user=clerk)
            opened = {case.household_id: case for case in result.created}
            for plan in warned:
                plan.case = opened[plan.household.pk]
        for plan in village_plans:
            if plan.case is None:
                plan.case = cases.open_case(
                    plan.household, user=clerk, channel=plan.channel, clue_note=_clue(plan)
                )
            _identify(plan, ctx, clerk)
            done += 1
            if progress:
                progress("识别纳入", done, len(plans))


def _clue(plan: Plan) -> str:
    labels = "、".join(RiskType(r).label for r in plan.risks)
    if plan.channel == "self_report":
        return f"户主{plan.household.head_name}向村委会自主申报：家庭{labels}，生活困难，申请纳入监测"
    return f"村干部走访排查发现：该户{labels}，收入可能低于监测范围，提请入户核实"


def _identify(plan: Plan, ctx: Context, clerk: User) -> None:
    case, days, township = plan.case, plan.days, plan.village.parent
    officer, county = ctx.actors.get("township", township), ctx.actors.get("county", township.parent)
    steps = set(plan.steps)
    if plan.rejected_at == "clue":
        return cases.reject_case(case, user=clerk, reason=REJECTIONS["clue"])
    if "check" in steps:
        cases.record_check(case, user=clerk, **plan.check_fields())
    if plan.rejected_at == "checked":
        return cases.reject_case(case, user=county, reason=REJECTIONS["checked"])
    if "compare" in steps:
        titles = "；".join(f"{w.rule_code} {w.rule_title}" for w in plan.warnings)
        found = f"部门预警（{titles}）情况属实；" if titles else ""
        result = f"部门数据比对：{found}未发现家庭成员有财政供养、购买商品房或车辆、经营公司等情况"
        cases.record_comparison(case, user=county, result=result)
    if "review" in steps:
        cases.record_review(
            case, user=clerk, reviewed_on=days["review"], minutes=plan.minutes("将该户纳入监测对象")
        )
    if "start_notice" in steps:
        cases.start_notice(case, user=clerk, start=days["start_notice"])
    if plan.objection:
        objection = cases.record_objection(case, user=clerk, **plan.objection["raised"])
        if plan.objection["outcome"]:
            cases.handle_objection(objection, user=clerk, **plan.objection["outcome"])
        plan.objection["row"] = objection
    if plan.rejected_at == "notice":
        return cases.reject_case(case, user=clerk, reason=REJECTIONS["notice"])
    for name, service, actor in (("end_notice", cases.end_notice, clerk), ("audit", cases.audit_case, officer),
                                 ("approve", cases.approve_case, county)):  # fmt: skip
        if name in steps:
            service(case, user=actor)
    if "announce" in steps:
        cases.announce_case(case, user=officer, announced_on=days["announce"])
    if "record" in steps:
        by_township = plan.rng.random() < 0.15  # some households are assisted by a township official
        cases.assign_cadre(
            case,
            user=officer,
            cadre=officer if by_township else clerk,
            unit=f"{township.name}人民政府" if by_township else f"{plan.village.name}村民委员会",
            contact=plan.household.head_name or "户主",
            contact_phone=plan.household.phone,
        )
        cases.record_case(case, user=county)


def _follow_up_all(plans: list[Plan], ctx: Context, progress) -> None:
    enrolled = [p for p in plans if p.case.status == S.MONITORED]
    for done, plan in enumerate(enrolled, 1):
        for measure in plan.measures:
            actor = ctx.actors.for_measure(measure["fields"]["category"], plan.village.parent)
            measure["row"] = assistance.add_measure(plan.case, user=actor, **measure["fields"])
        for visit in plan.visits:
            visit["row"] = cases.add_visit(plan.case, user=plan.case.cadre, **visit["fields"])
        if plan.stage in (*MonitoringCase.ELIMINATING, S.ELIMINATED):
            _eliminate(plan, ctx)
        if progress:
            progress("帮扶措施、走访与风险消除", done, len(enrolled))


def _eliminate(plan: Plan, ctx: Context) -> None:
    case, days, township = plan.case, plan.days, plan.village.parent
    clerk = ctx.actors.get("village", plan.village)
    officer, county = ctx.actors.get("township", township), ctx.actors.get("county", township.parent)
    developmental = any(m["fields"]["category"] in DEVELOPMENTAL for m in plan.measures)
    try:
        cases.propose_elimination(
            case,
            user=clerk,
            method="assisted" if developmental else "natural",
            comment="经入户核实，收入稳定超过监测范围，风险已消除",
            proposed_on=days.get("propose_elimination"),
            **plan.after_fields(),
        )
    except TransitionRefused as exc:  # the criteria decide, not the plan: the household stays monitored
        ctx.summary.refused.append(f"户 {plan.household.number}：{exc.messages[0]}")
        plan.steps = [s for s in plan.steps if s not in ELIMINATION]
        return
    steps = set(plan.steps)
    if "elim_review" in steps:
        minutes = plan.minutes("该户标注风险消除")
        cases.record_elim_review(case, user=clerk, reviewed_on=days["elim_review"], minutes=minutes)
    if "elim_start_notice" in steps:
        cases.start_elim_notice(case, user=clerk, start=days["elim_start_notice"])
    if "elim_end_notice" in steps:
        cases.end_elim_notice(case, user=clerk)
    if "elim_check" in steps:
        cases.check_elimination(case, user=officer, comment="乡镇核查：收入稳定，“三保障”和饮水安全有保障")
    if "elim_approve" in steps:
        cases.approve_elimination(case, user=county, comment="同意标注风险消除")
