"""The demo's monitoring workload (issue #5): cases in every stage on the synthetic registry, made by the services.

`build()` picks households deterministically (seeded): households with open monitoring warnings first (a village's
clues opened in one call of `cases.clues_from_warnings`), then cadre-screening and self-report clues, until the
identified households (enrolled or eliminated) hold about `share` of the registered-poor (脱贫户) persons of the
region — the seed's 10–20 % KPI. Each case is walked through the real services (`services.cases.*`,
`assistance.services.add_measure`, `cases.add_visit`) by the official whose role owns the step, so every
StatusChange and change-log row is real and every guard (consent, notice period, elimination criteria) applies.

How the dates are made, honestly: the services run at the real "now" (the demo has no clock to move; time_machine
is a test dependency), with the dates they take as arguments (check, review, notice start, announcement, objection,
measure and visit dates) set to the planned past days. What the services stamp with "now" is then moved back to the
planned day in one bulk update per table — cases, status changes, objections, measures, visits, and the first
sighting of the warnings that became clues — each recorded with `changelog.log_bulk`. This happens in two phases:
after the identification steps, and after measures, visits and elimination, because those steps check the moved
dates (a visit not before the clue, elimination not before 6 months of monitoring). The change log (ObjectChange)
keeps the real time of writing: it is the audit trail and is never rewritten.

Each village, township and county in scope needs an official to act: the demo account sitting there if there is
one, otherwise an account created here with an unusable password (`demo_<role>_<code>`) — they act, people log in
with the `demo-users` accounts. Idempotent: a household that already has a case is never picked, and the identified
households already there count towards the share, so a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from fangpin.accounts.models import Department, User
from fangpin.accounts.roles import assign_role
from fangpin.assistance import services as assistance
from fangpin.assistance.choices import DEVELOPMENTAL, RISK_MEASURES
from fangpin.assistance.models import AssistanceMeasure
from fangpin.core.changelog import log_bulk
from fangpin.core.models import StatusChange
from fangpin.core.workflow import TransitionRefused
from fangpin.geo.models import Region
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.models import CaseObjection, MonitoringCase, Visit, Warning
from fangpin.monitoring.services import cases
from fangpin.monitoring.services.workflow import STEP_LIMIT_PARAMETER, workflow_parameter
from fangpin.registry.choices import LABOUR_CAPABLE, UNSAFE_HOUSING_GRADES
from fangpin.registry.models import Household, HouseholdIncome, Person
from fangpin.registry.synthetic import GIVEN_FEMALE, GIVEN_MALE, SURNAMES

S = MonitoringCase.Status
IDENTIFICATION = ("open", "check", "compare", "review", "start_notice", "end_notice", "audit", "approve",
                  "announce", "record")  # fmt: skip
ELIMINATION = ("propose_elimination", "elim_review", "elim_start_notice", "elim_end_notice", "elim_check",
               "elim_approve")  # fmt: skip
LAST_STEP = dict(zip([S.CLUE, S.CHECKED, S.COMPARED, S.REVIEWED, S.NOTICE, S.NOTICED, S.AUDITED, S.APPROVED,
                      S.ANNOUNCED, S.MONITORED], IDENTIFICATION, strict=True))  # fmt: skip
LAST_STEP |= dict(zip([*MonitoringCase.ELIMINATING, S.ELIMINATED], ELIMINATION, strict=True))
# Days after the previous step (low, high); the notice steps add the notice period.
GAPS = {"check": (1, 3), "compare": (1, 4), "review": (1, 4), "start_notice": (0, 1), "end_notice": (0, 1),
        "audit": (1, 3), "approve": (1, 3), "announce": (1, 2), "record": (0, 2), "elim_review": (1, 5),
        "elim_start_notice": (0, 1), "elim_end_notice": (0, 1), "elim_check": (1, 4), "elim_approve": (1, 4)}  # fmt: skip
# A deck of 60 stages, shuffled: most monitored, every other stage at least once in every 60 households.
DECK = ([S.MONITORED] * 38 + [S.ELIMINATED] * 5 + list(MonitoringCase.ELIMINATING) + [S.NOTICE] * 2
        + [S.CLUE, S.CHECKED, S.COMPARED, S.REVIEWED, S.NOTICED, S.AUDITED, S.APPROVED, S.ANNOUNCED]
        + [S.REJECTED] * 2)  # fmt: skip
CHANNELS = (("department", 0.6), ("cadre", 0.28), ("self_report", 0.12))
WARNING_RISKS = {"JC-03": "illness", "JC-04": "lack_of_labour", "JC-05": "housing_unsafe", "JC-06": "water_unsafe",
                 "JC-07": "illness", "JC-08": "illness", "JC-09": "illness", "JC-10": "illness",
                 "JC-11": "disability", "JC-12": "housing_unsafe", "JC-13": "water_unsafe", "JC-14": "education",
                 "JC-18": "employment_unstable", "JC-19": "accident"}  # fmt: skip
FALLBACK_RISKS = (("employment_unstable", 30), ("illness", 25), ("industry_failure", 12), ("natural_disaster", 10),
                  ("accident", 10), ("education", 8), ("disability", 5))  # fmt: skip
# risk -> (measure category, sub-types, provider suffix, amount range, one-off)
MEASURE_FOR_RISK = {
    "illness": ("health", ("医疗救助", "慢病救治", "家庭医生签约服务"), "医疗保障局", (1500, 8000), True),
    "education": ("other_edu", ("雨露计划",), "教育局", (3000, 3000), False),
    "disability": ("comprehensive", ("残疾人两项补贴",), "民政局", (1200, 2400), False),
    "natural_disaster": ("comprehensive", ("临时救助",), "民政局", (1000, 5000), True),
    "accident": ("social", ("防贫保险",), "乡村振兴局", (2000, 10000), True),
    "industry_failure": ("industry", ("产业奖补", "种植业", "养殖业"), "农业农村局", (1000, 5000), True),
    "employment_unstable": ("employment", ("转移就业", "就业技能培训", "务工交通补贴"), "人力资源和社会保障局", (0, 1000), False),
    "lack_of_labour": ("comprehensive", ("纳入低保", "纳入特困供养"), "民政局", (3000, 8000), False),
    "housing_unsafe": ("housing", ("危房改造", "修缮加固"), "住房和城乡建设局", (15000, 40000), True),
    "water_unsafe": ("water", ("分散供水工程", "水质净化"), "水利和湖泊局", (500, 3000), True),
}  # fmt: skip
DEVELOPMENTAL_MEASURES = (("employment", "转移就业", "人力资源和社会保障局", (0, 500)),
                          ("public_post", "村级公益岗", "", (6000, 6000)),
                          ("industry", "种植业", "农业农村局", (1000, 3000)),
                          ("finance", "小额信贷", "农村商业银行", (30000, 50000)))  # fmt: skip
REJECTIONS = {
    "clue": "入户核实：家庭成员务工收入稳定，无大额刚性支出，不存在致贫返贫风险，不予纳入",
    "checked": "部门数据比对：家庭成员在县城购有商品房并登记有小型汽车，不符合纳入条件，不予纳入",
    "notice": "公示期间群众反映的情况经核查属实，异议成立，不予纳入",
}
FINDINGS = {
    "illness": "患病成员按时复查，医疗费用已按政策报销，家庭生活基本稳定",
    "education": "在校学生按时就学，已享受相应资助",
    "disability": "残疾人两项补贴按月发放，生活能够自理",
    "lack_of_labour": "低保金按月发放，日常生活有保障",
    "employment_unstable": "务工人员已重新就业，收入逐步恢复",
    "housing_unsafe": "危房改造进度正常，住房安全有保障",
    "water_unsafe": "供水设施运行正常，饮水安全达标",
}


@dataclass
class Summary:
    """What a build did: cases created by status, steps the rules refused, and the share reached."""

    created: Counter = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    registered_poor_persons: int = 0
    identified_persons: int = 0
    users_created: int = 0

    @property
    def share(self) -> float:
        return self.identified_persons / self.registered_poor_persons if self.registered_poor_persons else 0.0


class Actors:
    """The official of each role for each region: a demo account sitting there, or one created for the demo."""

    def __init__(self, seed: int, summary: Summary):
        self.rng, self.summary, self.cache = random.Random(f"demo-actors:{seed}"), summary, {}
        users = User.objects.filter(is_active=True, region__isnull=False).select_related("region")
        for user in sorted(
            users.prefetch_related("groups"), key=lambda u: (not u.username.startswith("demo_"), u.username)
        ):
            for role in user.role_codes:
                self.cache.setdefault((role, user.region_id, user.department), user)  # fmt: skip

    def get(self, role: str, region: Region) -> User:
        key = (role, region.pk, "")
        if key not in self.cache:
            pool = GIVEN_MALE if self.rng.random() < 0.6 else GIVEN_FEMALE
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(pool) for _ in range(2))
            user = User(username=f"demo_{role}_{region.code}", region=region, display_name=name)
            user.set_unusable_password()
            user.save()
            assign_role(user, role)
            self.summary.users_created += 1
            self.cache[key] = User.objects.select_related("region").get(pk=user.pk)
        return self.cache[key]

    def login_villages(self) -> set[int]:
        return {
            region
            for (role, region, _), user in self.cache.items()
            if role == "village" and user.has_usable_password()
        }

    def for_measure(self, category: str, township: Region) -> User:
        department = {"health": Department.MEDICAL_INSURANCE, "comprehensive": Department.CIVIL_AFFAIRS}
        officer = self.get("township", township)
        return self.cache.get(("department", township.parent_id, department.get(category, "")), officer)


def _subtree(queryset, region: Region, path: str = "region__path"):
    return queryset.filter(**{f"{path}__gte": region.path, f"{path}__lt": region.path + "z"})


def _identified_persons(region: Region) -> int:
    statuses = [*MonitoringCase.ENROLLED, S.ELIMINATED]
    households = _subtree(Household.objects, region).filter(cases__status__in=statuses).distinct()
    return households.aggregate(n=Sum("member_count"))["n"] or 0


# ---------------------------------------------------------------- planning (no writes)


@dataclass
class Plan:
    """One household's planned case: its stage, findings, days of each step, measures and visits."""

    household: Household
    channel: str
    stage: str
    members: list[dict] = field(default_factory=list)
    income: HouseholdIncome | None = None
    warnings: list[Warning] = field(default_factory=list)
    case: MonitoringCase | None = None
    days: dict = field(default_factory=dict)
    stamps: dict = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)
    visits: list[dict] = field(default_factory=list)
    objection: dict | None = None
    rejected_at: str = ""
    overdue: bool = False

    @property
    def village(self) -> Region:
        return self.household.region

    @property
    def labour(self) -> bool:
        return any(m["labour_skill"] in LABOUR_CAPABLE for m in self.members)

    def prepare(self, ctx: Context) -> None:
        """What the check finds (risks, category, tier), and whether the household could be eliminated."""
        self.rng = random.Random(f"demo-case:{ctx.seed}:{self.household.number}")
        risks = [WARNING_RISKS[w.rule_code] for w in self.warnings if w.rule_code in WARNING_RISKS]
        if any(m["serious_illness"] or m["chronic_disease"] for m in self.members):
            risks.append("illness")
        if any(m["disabled"] for m in self.members):
            risks.append("disability")
        if not self.labour:
            risks.append("lack_of_labour")
        if self.household.housing_grade in UNSAFE_HOUSING_GRADES:
            risks.append("housing_unsafe")
        if self.household.water_safe is False:
            risks.append("water_unsafe")
        if not risks:
            names, weights = zip(*FALLBACK_RISKS, strict=True)
            risks.append(self.rng.choices(names, weights)[0])
        self.risks = list(dict.fromkeys(risks))[:3]
        income = self.income.per_capita_net_income if self.income else None
        if self.household.household_type == "ordinary":
            edge = income is None or income < ctx.line * ctx.edge_multiple
            self.category = "edge_vulnerable" if edge else "sudden_hardship"
        else:
            shock = {"accident", "natural_disaster"} & set(self.risks)
            self.category = "sudden_hardship" if shock and self.rng.random() < 0.5 else "unstable_exited"
        severe = len(self.risks) >= 3 or not self.labour or any(m["serious_illness"] for m in self.members)
        self.tier = (
            "high"
            if severe
            else "low"
            if len(self.risks) == 1 and income and income >= ctx.line
            else "medium"
        )
        self.eligible = bool(
            self.labour and self.income and self.income.net_income > 0 and income >= ctx.line
            and self.household.housing_grade not in UNSAFE_HOUSING_GRADES and self.household.water_safe is not False
            and self.income.compliant_out_of_pocket <= self.income.net_income * ctx.rigid_ratio
        )  # fmt: skip

    def plan(self, ctx: Context) -> None:
        """The days of every step up to the target stage (all in the past), and the follow-up."""
        rng, today, nd = self.rng, ctx.today, ctx.notice_days
        self.days, self.measures, self.visits, self.objection, self.rejected_at = {}, [], [], None, ""
        if self.stage == S.REJECTED:
            self.rejected_at = rng.choice(["clue", "clue", "checked", "checked", "notice"])
            target = {"clue": S.CLUE, "checked": S.CHECKED, "notice": S.NOTICE}[self.rejected_at]
        else:
            target = S.MONITORED if self.stage in (*MonitoringCase.ELIMINATING, S.ELIMINATED) else self.stage
        steps = list(IDENTIFICATION[: IDENTIFICATION.index(LAST_STEP[target]) + 1])
        if target == S.MONITORED and self.stage != S.MONITORED:
            elim = list(ELIMINATION[: ELIMINATION.index(LAST_STEP[self.stage]) + 1])
            last = today - dt.timedelta(
                days=rng.randint(0, 200) if self.stage == S.ELIMINATED else rng.randint(0, nd - 1)
            )
            proposed = last - dt.timedelta(days=self._span(elim[1:], nd))
            self._forward(elim, proposed)
            end = proposed - dt.timedelta(days=1)  # measures and visits come before the proposal
            # 185 days: at least 6 calendar months of monitoring before the proposal (criterion "months").
            last_identification = proposed - dt.timedelta(days=185 + rng.randint(0, 150))
        elif target == S.MONITORED:
            elim, end = [], today
            last_identification = today - dt.timedelta(days=3 + int(rng.betavariate(1.3, 2.2) * 480))
        else:
            elim, end = [], today
            if self.stage == S.REJECTED:
                dwell = rng.randint(0, 60)
            elif target == S.NOTICE:
                dwell = rng.randint(0, nd - 1)
            else:
                limit = ctx.param(STEP_LIMIT_PARAMETER[target])
                self.overdue = ctx.next_overdue()
                dwell = limit + rng.randint(1, 8) if self.overdue else rng.randint(0, limit)
            last_identification = today - dt.timedelta(days=dwell)
        start = last_identification - dt.timedelta(days=self._span(steps[1:], nd))
        self._forward(steps, start)
        if self.stage == S.REJECTED:
            self._plan_rejection(steps, ctx)
        elif target == S.NOTICE and rng.random() < 0.5:
            self._plan_objection("pending", self.days["start_notice"], today, ctx)
        elif "end_notice" in steps and rng.random() < 0.05:
            start, end_notice = self.days["start_notice"], self.days["end_notice"]
            self._plan_objection("dismissed", start, end_notice - dt.timedelta(days=1), ctx)
        self.steps = steps + elim
        if "record" in steps:
            self._plan_follow_up(ctx, end)
        self.stamps = _stamps(self.days, rng, ctx.now)

    def _span(self, steps, nd) -> int:
        """Planned days from the first of `steps`' predecessors to the last (drawn now, used by _forward)."""
        self._gaps = getattr(self, "_gaps", {})
        for name in steps:
            low, high = GAPS[name]
            self._gaps[name] = self.rng.randint(low, high) + (
                nd if name in ("end_notice", "elim_end_notice") else 0
            )
        return sum(self._gaps[name] for name in steps)

    def _forward(self, steps, start: dt.date) -> None:
        day = start
        for i, name in enumerate(steps):
            day = day + dt.timedelta(days=self._gaps[name]) if i else start
            self.days[name] = day

    def _plan_rejection(self, steps, ctx: Context) -> None:
        last = self.days[steps[-1]]
        if self.rejected_at == "notice":
            self._plan_objection("upheld", last, last + dt.timedelta(days=ctx.notice_days - 2), ctx)
            last = self.objection["raised"]["received_on"]
        self.days["reject"] = last + dt.timedelta(days=self.rng.randint(1, 2))
        late = dt.timedelta(days=max(0, (self.days["reject"] - ctx.today).days))
        for name in self.days:
            self.days[name] -= late
        if self.objection:
            self.objection["raised"]["received_on"] -= late
            self.objection["stamp"] = _at(self.objection["raised"]["received_on"], 10, self.rng, ctx.now)

    def _plan_objection(self, outcome: str, start: dt.date, end: dt.date, ctx: Context) -> None:
        span = max(0, (end - start).days)
        received = start + dt.timedelta(days=self.rng.randint(min(1, span), span))
        texts = {
            "pending": ("反映该户之子在外地务工收入较高，家庭实际收入高于申报收入", ""),
            "dismissed": ("反映该户在集镇有门面房出租收入", "经村两委和驻村工作队入户核查，门面房系租用他人房屋经营，无出租收入，异议不成立"),
            "upheld": ("反映该户户主之子在县城经营建材公司", "经核查市场监管部门登记信息，情况属实，异议成立"),
        }[outcome]  # fmt: skip
        self.objection = {
            "raised": {"received_on": received, "content": texts[0], "raised_by": "村民（匿名）"},
            "outcome": {"outcome": outcome, "handling": texts[1]} if texts[1] else None,
            "stamp": _at(received, 10, self.rng, ctx.now),
        }

    def _plan_follow_up(self, ctx: Context, end: dt.date) -> None:
        """Measures matching the risks (and a developmental one for a household with labour), and visits at the
        tier's rhythm; a few monitored households are left with the gaps the alerts exist for."""
        rng, recorded, today = self.rng, self.days["record"], ctx.today
        monitored = self.stage == S.MONITORED
        months = (today - recorded).days / 30.4
        interval = ctx.param(f"visit_days_{self.tier}")
        applicable = {
            "no_measure": months >= 1.2,
            "risk_mismatch": months >= 1.2 and any(r in RISK_MEASURES for r in self.risks),
            "no_developmental": months >= 6.5 and self.labour,
            "unvisited": (end - recorded).days > interval + 10,
        }
        gap = ctx.next_gap(applicable) if monitored else None
        planned = [] if gap == "no_measure" else [r for r in self.risks if r in MEASURE_FOR_RISK]
        if gap == "risk_mismatch":
            planned = [r for r in planned if r not in RISK_MEASURES] or ["employment_unstable"]
        categories = set()
        for risk in planned:
            category, subtypes, provider, (low, high), one_off = MEASURE_FOR_RISK[risk]
            if category not in categories:
                categories.add(category)
                subtype = rng.choice(subtypes)
                purpose = f"针对{RiskType(risk).label}风险落实{subtype}"
                self._measure(
                    ctx, (category, subtype, provider, low, high, one_off), recorded, end, 25, purpose
                )
        if self.labour and planned and not categories & DEVELOPMENTAL and gap != "no_developmental":
            category, subtype, provider, (low, high) = rng.choice(DEVELOPMENTAL_MEASURES)
            purpose = f"家庭有劳动力，通过{subtype}增加家庭收入"
            self._measure(ctx, (category, subtype, provider, low, high, False), recorded, end, 90, purpose)
        if gap == "unvisited":
            last = end - dt.timedelta(days=interval + rng.randint(3, 40))
        else:
            last = end - dt.timedelta(days=rng.randint(0, min(interval - 1, (end - recorded).days)))
        visits = [last] if last >= recorded else []
        earlier = last - dt.timedelta(days=interval + rng.randint(-5, 3))
        if visits and earlier > recorded and rng.random() < 0.6:
            visits.insert(0, earlier)
        for day in visits:
            finding = next(
                (FINDINGS[r] for r in self.risks if r in FINDINGS), "家庭收入和生活状况稳定，无新增风险"
            )
            method = rng.choices(["home", "phone", "video"], [70, 25, 5])[0]
            fields = {"visited_on": day, "method": method, "findings": f"了解{self.household.head_name}家近况：{finding}",
                      "follow_up": "继续落实帮扶措施，按期走访"}  # fmt: skip
            self.visits.append({"fields": fields, "stamp": _at(day, 15, rng, ctx.now)})

    def _measure(self, ctx, spec, recorded, end, within: int, purpose: str) -> None:
        category, subtype, provider, low, high, one_off = spec
        start = recorded + dt.timedelta(days=self.rng.randint(0, within))
        if start > min(end, ctx.today):
            return  # not arranged yet
        township, county = self.village.parent, self.village.parent.parent
        ends = start + dt.timedelta(days=self.rng.randint(0, 60)) if one_off else None
        fields = {
            "category": category,
            "subtype": subtype,
            "description": purpose,
            "amount": Decimal(self.rng.randrange(low, high + 1, 100) if high > low else low),
            "start_on": start,
            "end_on": ends if ends and ends <= ctx.today else None,
            "provider": f"{county.name}{provider}" if provider else f"{township.name}人民政府",
        }
        self.measures.append({"fields": fields, "stamp": _at(start, 10, self.rng, ctx.now)})

    def check_fields(self) -> dict:
        income = self.income.per_capita_net_income if self.income else "—"
        labels = "、".join(RiskType(r).label for r in self.risks)
        return {
            "category": self.category,
            "risks": self.risks,
            "checked_on": self.days["check"],
            "consent_signed_on": self.days["check"],
            "risk_tier": self.tier,
            "disaster_subtype": self.rng.choice(["flood", "drought", "geological"]) if "natural_disaster" in self.risks else "",
            "check_note": f"入户核实：该户{labels}；家庭人口 {len(self.members)} 人，人均纯收入 {income} 元",
            "housing_unsafe": "housing_unsafe" in self.risks,
            "dropout": any(w.rule_code == "JC-14" for w in self.warnings),
            "uninsured_member": any(not (m["resident_medical"] or m["employee_medical"]) for m in self.members),
            "water_unsafe": "water_unsafe" in self.risks,
        }  # fmt: skip

    def after_fields(self) -> dict:
        i = self.income
        net = i.wage + i.business + i.property + i.transfer - i.business_cost
        return dict(
            after_dropout=False, after_housing_damaged=False, after_uninsured=False, after_water_damaged=False,
            after_wage=i.wage, after_property=i.property, after_transfer=i.transfer, after_business=i.business,
            after_business_cost=i.business_cost, after_net_income=net, after_claims_income=i.claims_income,
            after_out_of_pocket=i.compliant_out_of_pocket,
        )  # fmt: skip

    def minutes(self, what: str) -> str:
        present = self.rng.randint(15, 25)
        against = self.rng.choice([0, 0, 0, 1, 2])
        return f"召开村民代表会议，实到代表 {present} 人，{present - against} 人同意、{against} 人不同意，同意{what}"


def _at(day: dt.date, hour: int, rng: random.Random, now: dt.datetime) -> dt.datetime:
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59))))
    return min(moment, now - dt.timedelta(minutes=rng.randint(1, 30)))


def _stamps(days: dict, rng: random.Random, now: dt.datetime) -> dict:
    """A time for each step on its day, strictly increasing, none after `now`."""
    out, previous = {}, None
    for name, day in sorted(days.items(), key=lambda item: item[1]):
        moment = timezone.make_aware(
            dt.datetime.combine(day, dt.time(9 + rng.randint(0, 7), rng.randint(0, 59)))
        )
        if previous and moment <= previous:
            moment = previous + dt.timedelta(minutes=rng.randint(5, 25))
        out[name] = previous = moment
    late = [name for name, moment in out.items() if moment > now]
    for i, name in enumerate(late):  # steps planned for today after the current hour
        out[name] = now - dt.timedelta(minutes=len(late) - i)
    return out


# ---------------------------------------------------------------- the build


@dataclass
class Context:
    """What every plan and step needs: the day, the parameters in force, the actors, the running summary."""

    seed: int
    region: Region
    actors: Actors
    summary: Summary
    now: dt.datetime = field(default_factory=timezone.now)
    cache: dict = field(default_factory=dict)
    overdue_count: int = 0
    gap_count: int = 0
    pending_gaps: list = field(default_factory=list)
    status_changes_before: int = 0

    def __post_init__(self) -> None:
        self.today = timezone.localtime(self.now).date()
        self.line = Decimal(self.param("monitoring_line"))
        self.edge_multiple = Decimal(str(self.param("edge_income_multiple")))
        self.rigid_ratio = Decimal(str(self.param("rigid_expense_ratio")))
        self.notice_days = int(self.param("notice_days"))

    def param(self, key: str):
        if key not in self.cache:
            self.cache[key] = workflow_parameter(key, self.region, self.today)
        return self.cache[key]

    def next_gap(self, applicable: dict[str, bool]) -> str | None:
        """The gap a monitored household is left with for the alerts to show, if any: of every 20 households
        one has no measure, one a measure that misses its risk, one no developmental measure, and two are
        not visited in time (deterministic, so a single village shows each)."""
        self.gap_count += 1
        due = {3: "no_measure", 9: "risk_mismatch", 15: "no_developmental", 6: "unvisited", 18: "unvisited"}
        if self.gap_count % 20 in due:
            self.pending_gaps.append(due[self.gap_count % 20])
        for kind in self.pending_gaps:
            if applicable[kind]:
                self.pending_gaps.remove(kind)
                return kind
        return None

    def next_overdue(self) -> bool:
        """Every other identification in progress is late (deterministic, so small areas get some too)."""
        self.overdue_count += 1
        return self.overdue_count % 2 == 0


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


# ---------------------------------------------------------------- moving what the services stamped "now" back


def _shift(model, rows: list, fields: list[str], description: str) -> None:
    if rows:
        model._base_manager.bulk_update(rows, fields, batch_size=400)
        log_bulk(model, "update", len(rows), description=f"演示数据：{description}（{len(rows)} 条）")


def _shift_status_changes(plans: list[Plan], after: int, names) -> int:
    """Status changes written since `after` (a pk) get their step's planned time; returns the newest pk."""
    stamps = {(p.case.pk, name): p.stamps[name] for p in plans for name in names if name in p.stamps}
    rows = list(
        StatusChange.objects.filter(
            content_type__app_label="monitoring", content_type__model="monitoringcase", pk__gt=after
        ).only("pk", "object_id", "transition", "time")
    )
    moved = [row for row in rows if (row.object_id, row.transition) in stamps]
    for row in moved:
        row.time = stamps[(row.object_id, row.transition)]
    _shift(StatusChange, moved, ["time"], "监测对象状态变更时间改为计划日期")
    return max((row.pk for row in rows), default=after)


def _shift_identification(plans: list[Plan], ctx: Context) -> None:
    """Phase 1: what the identification steps stamped with today."""
    for plan in plans:
        case, last = plan.case, [s for s in plan.steps if s in IDENTIFICATION or s == "reject"]
        case.created_at = plan.stamps["open"]
        case.stage_entered_at = case.updated_at = plan.stamps["reject" if plan.rejected_at else last[-1]]
        if case.compared_on:
            case.compared_on = plan.days["compare"]
        if case.recorded_on:
            case.recorded_on = case.cadre_since = plan.days["record"]
            case.identified_month = f"{case.recorded_on:%Y%m}"
    fields = ["created_at", "stage_entered_at", "updated_at", "compared_on", "recorded_on", "cadre_since",
              "identified_month"]  # fmt: skip
    _shift(MonitoringCase, [p.case for p in plans], fields, "监测对象登记、比对、录入日期改为计划日期")
    names = (*IDENTIFICATION, "reject")
    ctx.status_changes_before = _shift_status_changes(plans, ctx.status_changes_before, names)
    objections = [p.objection for p in plans if p.objection and "row" in p.objection]
    for objection in objections:
        objection["row"].created_at = objection["stamp"]
    _shift(CaseObjection, [o["row"] for o in objections], ["created_at"], "公示异议登记时间改为收到日期")
    warnings = []
    for plan in plans:
        for warning in plan.warnings:
            if warning.first_seen_at > plan.stamps["open"]:  # seen by an earlier screening than this one
                warning.first_seen_at = plan.stamps["open"] - dt.timedelta(days=plan.rng.randint(1, 5))
                warnings.append(warning)
    _shift(Warning, warnings, ["first_seen_at"], "转为线索的预警，首次发现时间改为线索登记之前")


def _shift_follow_up(plans: list[Plan], ctx: Context) -> None:
    """Phase 2: measures, visits and the elimination steps."""
    measures = [m for p in plans for m in p.measures if "row" in m]
    for measure in measures:
        measure["row"].created_at = measure["row"].updated_at = measure["stamp"]
    _shift(
        AssistanceMeasure,
        [m["row"] for m in measures],
        ["created_at", "updated_at"],
        "帮扶措施登记时间改为开始日期",
    )
    visits = [v for p in plans for v in p.visits if "row" in v]
    for visit in visits:
        visit["row"].created_at = visit["stamp"]
    _shift(Visit, [v["row"] for v in visits], ["created_at"], "走访记录登记时间改为走访日期")
    eliminating = [p for p in plans if p.case.elimination_proposed_on]
    for plan in eliminating:
        case, last = plan.case, [s for s in plan.steps if s in ELIMINATION][-1]
        case.elimination_proposed_on = plan.days["propose_elimination"]
        case.stage_entered_at = case.updated_at = plan.stamps[last]
        if case.eliminated_on:
            case.eliminated_on = plan.days["elim_approve"]
            case.eliminated_month = f"{case.eliminated_on:%Y%m}"
    fields = [
        "elimination_proposed_on",
        "stage_entered_at",
        "updated_at",
        "eliminated_on",
        "eliminated_month",
    ]
    _shift(MonitoringCase, [p.case for p in eliminating], fields, "风险消除日期改为计划日期")
    _shift_status_changes(plans, ctx.status_changes_before, ELIMINATION)
