"""Planning a demo case (no writes): one household's stage, findings, step days, measures and visits."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from fangpin.assistance.choices import DEVELOPMENTAL, RISK_MEASURES
from fangpin.geo.models import Region
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.demo_cases.data import (
    DEVELOPMENTAL_MEASURES,
    ELIMINATION,
    FALLBACK_RISKS,
    FINDINGS,
    GAPS,
    IDENTIFICATION,
    LAST_STEP,
    MEASURE_FOR_RISK,
    WARNING_RISKS,
    S,
)
from fangpin.monitoring.models import MonitoringCase, Warning
from fangpin.monitoring.services.workflow import STEP_LIMIT_PARAMETER
from fangpin.registry.choices import LABOUR_CAPABLE, UNSAFE_HOUSING_GRADES
from fangpin.registry.models import Household, HouseholdIncome

if TYPE_CHECKING:
    from fangpin.monitoring.demo_cases.context import Context


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
