"""The datasets 医保, 残联 and the insurers deliver."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangpin.exchange.synthetic.planting import _Planting
from fangpin.exchange.synthetic.rows import NULL_DAY, _bernoulli, _Part, _pick


class _Health(_Planting):
    """Medical settlements, disability cards and insurance claims."""

    # -- 医保

    def medical_settlement(self, rng) -> list[_Part]:
        r, p = self.registry, self.params
        single = np.where(r.exited, p["medical_single_stay_exited"], p["medical_single_stay_other"])
        cumulative = p["rural_income_prev_year"] * np.where(
            r.exited, p["medical_cumulative_ratio_exited"], p["medical_cumulative_ratio_other"]
        )
        normal = self.free(self.medical_planted)
        chance = 0.03 + 0.10 * r.serious + 0.05 * r.chronic + 0.03 * (r.age >= 60)
        stays = _bernoulli(rng, normal, chance)
        stays = np.concatenate([stays, stays[rng.random(stays.size) < 0.2]])
        # Normal stays: each below 40 % of both warning lines, so two stays and two outpatient rows stay below.
        cap = np.minimum(0.8 * single, 0.4 * cumulative)
        chronic = _bernoulli(rng, normal & r.chronic, 0.3)
        general = _bernoulli(rng, normal, 0.04)
        outside = self.outsiders(rng, 0.02, 0, 95)

        def inpatient(people, self_paid, outsider=False):
            total = np.maximum(self_paid / rng.uniform(0.08, 0.35, people.size), self_paid + 100)
            return self.settlement(rng, people, "住院", total, self_paid, outsider)

        def limit(people, share, cap_share):
            raw = rng.lognormal(np.log(2500), 0.8, people.size) * share
            return np.minimum(raw, cap[people] * cap_share)

        parts = [
            inpatient(stays, np.where(r.exited[stays], 0.3, 1.0) * limit(stays, 1.0, 1.0)),
            self.settlement(
                rng,
                chronic,
                "门诊慢特病",
                rng.uniform(300, 3000, chronic.size),
                np.minimum(rng.uniform(30, 600, chronic.size), 0.05 * cumulative[chronic]),
            ),
            self.settlement(
                rng,
                general,
                "普通门诊",
                rng.uniform(50, 800, general.size),
                np.minimum(rng.uniform(10, 200, general.size), 0.05 * cumulative[general]),
            ),
        ]
        # One stay above the single-stay line but, where the lines allow, below the cumulative one.
        for rule, cumulative_rule in (("JC-07", "JC-09"), ("JC-08", "JC-10")):
            people = self.medical[rule]
            low = 1.1 * single[people]
            amount = rng.uniform(
                low, np.maximum(np.minimum(1.5 * single[people], 0.95 * cumulative[people]), low)
            )
            parts.append(inpatient(people, amount))
            # Only when the cumulative line is set below the single-stay line does one stay cross both.
            both = people[np.round(amount, 2) > cumulative[people]]
            self.expected[cumulative_rule] = np.concatenate([self.expected[cumulative_rule], both])
        # Several stays each below the single-stay line that add up past the cumulative one.
        for rule in ("JC-09", "JC-10"):
            people = self.medical[rule]
            if not people.size:
                continue
            need = 1.15 * cumulative[people]
            stays_needed = np.ceil(need / (0.85 * single[people])).astype(np.int64)
            who = np.repeat(people, stays_needed)
            parts.append(inpatient(who, np.repeat(need / stays_needed, stays_needed)))
        parts.append(inpatient(outside, rng.lognormal(np.log(2500), 1.0, outside.size), outsider=True))
        return parts

    def settlement(self, rng, people, visit, total, self_paid, outsider=False) -> _Part:
        hospitals = {
            "住院": (
                "咸宁市中心医院",
                "县人民医院",
                "县中医医院",
                "华中科技大学同济医学院附属协和医院",
                "镇卫生院",
            ),
            "门诊慢特病": ("县人民医院", "镇卫生院", "县中医医院"),
            "普通门诊": ("镇卫生院", "村卫生室", "县人民医院"),
        }[visit]
        size = people.size
        total_c = np.round(np.asarray(total) * 100)
        self_c = np.minimum(np.round(np.asarray(self_paid) * 100), total_c)
        rest = total_c - self_c
        basic = np.floor(rest * 0.72)
        critical = np.floor(rest * np.where(rest > 1_500_000, 0.2, 0.0))
        assistance = rest - basic - critical
        admitted = self.within_year(rng, size)
        discharged = admitted + rng.integers(2, 15, size)
        discharged = np.where((visit == "住院") & (discharged <= self.registry.a), discharged, NULL_DAY)
        return _Part(
            people,
            {
                "visit_type": visit,
                "hospital": _pick(rng, hospitals, size),
                "admitted_on": admitted,
                "discharged_on": discharged,
                "total_cost": total_c / 100,
                "compliant_cost": np.round(total_c * rng.uniform(0.85, 0.97, size)) / 100,
                "basic_paid": basic / 100,
                "critical_paid": critical / 100,
                "assistance_paid": assistance / 100,
                "self_paid": self_c / 100,
            },
            outsider,
        )

    # -- 残联, 保险公司

    def disability_card(self, rng) -> list[_Part]:
        r = self.registry
        categories = pa.array(["视力", "听力", "言语", "肢体", "智力", "精神", "多重"])
        grades = pa.array(["一级", "二级", "三级", "四级"])
        new = self.new_card
        holders = np.flatnonzero(r.disabled & self.free(self.no_card, new))
        people = np.concatenate([holders, new])
        category = np.where(r.category[people] > 0, r.category[people], rng.integers(1, 8, people.size))
        grade = np.where(r.grade[people] > 0, r.grade[people], rng.integers(1, 5, people.size))
        own = r.card.take(pa.array(people))
        made = pc.binary_join_element_wise(
            r.ids.take(pa.array(people)),
            pa.array(category).cast(pa.string()),
            pa.array(grade).cast(pa.string()),
            "",
        )
        issued = np.concatenate(
            [
                self.ago(rng, holders.size, int(self.params["recent_days"]), 5000),
                self.within_year(rng, new.size),
            ]
        )
        out = self.outsiders(rng, 0.015, 0, 95)
        out_category = rng.integers(1, 8, out.size)
        out_grade = rng.integers(1, 5, out.size)
        return [
            _Part(
                people,
                {
                    "card_number": pc.if_else(pc.equal(own, ""), made, own),
                    "category": categories.take(pa.array(category - 1)),
                    "grade": grades.take(pa.array(grade - 1)),
                    "issued_on": issued,
                },
            ),
            _Part(
                out,
                {
                    "card_number": pc.binary_join_element_wise(
                        self.pool.ids.take(pa.array(out)),
                        pa.array(out_category).cast(pa.string()),
                        pa.array(out_grade).cast(pa.string()),
                        "",
                    ),
                    "category": categories.take(pa.array(out_category - 1)),
                    "grade": grades.take(pa.array(out_grade - 1)),
                    "issued_on": self.ago(rng, out.size, 0, 5000),
                },
                True,
            ),
        ]

    def insurer_claim(self, rng) -> list[_Part]:
        r = self.registry
        types = ("因病", "因学", "因灾", "其他")
        recent = self.claimed
        earlier = _bernoulli(rng, r.exited & (r.serious | r.chronic) & self.free(recent), 0.05)
        out = self.outsiders(rng, 0.01, 0, 90)

        def part(people, paid, outside=False):
            return _Part(
                people,
                {
                    "claim_type": _pick(rng, types, people.size, (70, 15, 10, 5)),
                    "reported_on": paid - rng.integers(10, 60, people.size),
                    "amount": self.money(rng, people.size, 1000, 30000),
                    "paid_on": paid,
                },
                outside,
            )

        return [
            part(recent, self.within_year(rng, recent.size)),
            part(earlier, self.before_window(rng, earlier.size)),
            part(out, self.within_year(rng, out.size), outside=True),
        ]
