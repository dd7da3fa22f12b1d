"""The datasets 民政 and 公安 deliver."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fangpin.exchange.synthetic.planting import _Planting
from fangpin.exchange.synthetic.rows import NULL_DAY, _bernoulli, _mask, _Part, _pick, _plates


class _WelfarePolice(_Planting):
    """低保, 特困 and temporary assistance; deaths, household moves and vehicles."""

    # -- 民政

    def minimum_living(self, rng) -> list[_Part]:
        r = self.registry
        members = np.flatnonzero(r.dibao)
        h = r.hidx[members]
        size = np.bincount(h, minlength=r.h)[h]
        h_start = self.before_window(rng, r.h, extra=2600)
        h_start[r.hidx[self.dibao_new]] = self.within_year(rng, self.dibao_new.size)
        h_amount = np.round(rng.uniform(300, 600, r.h))
        h_category = _pick(rng, ("A类", "B类", "C类"), r.h, (2, 5, 3))
        start, end = h_start[h], np.full(members.size, NULL_DAY)
        ended = np.isin(members, self.dibao_ended)
        start[ended] = self.before_window(rng, int(ended.sum()), extra=2600)
        end[ended] = self.ago(rng, int(ended.sum()), 1, 300)  # left 低保 before the as-of date
        roster = _Part(
            members,
            {
                "category": h_category.take(pa.array(h)),
                "household_size": size,
                "monthly_amount": h_amount[h] * size,
                "start_date": start,
                "end_date": end,
            },
        )
        unregistered = self.dibao_unregistered
        extra = _Part(
            unregistered,
            {
                "category": _pick(rng, ("B类", "C类"), unregistered.size),
                "household_size": np.ones(unregistered.size, np.int64),
                "monthly_amount": self.money(rng, unregistered.size, 300, 600),
                "start_date": self.before_window(rng, unregistered.size, extra=700),
            },
        )
        # Former members, exited from 低保 years ago: no longer active, so nothing to flag.
        former = _bernoulli(rng, ~r.dibao & self.free(self.deceased, unregistered) & (r.age >= 18), 0.01)
        former_end = self.ago(rng, former.size, 1, 1400)
        history = _Part(
            former,
            {
                "category": _pick(rng, ("A类", "B类", "C类"), former.size, (2, 5, 3)),
                "household_size": rng.integers(1, 5, former.size),
                "monthly_amount": self.money(rng, former.size, 300, 1800),
                "start_date": former_end - rng.integers(100, 1500, former.size),
                "end_date": former_end,
            },
        )
        out = self.outsiders(rng, 0.012)
        outside = _Part(
            out,
            {
                "category": _pick(rng, ("A类", "B类", "C类"), out.size, (2, 5, 3)),
                "household_size": rng.integers(1, 5, out.size),
                "monthly_amount": self.money(rng, out.size, 300, 1800),
                "start_date": self.ago(rng, out.size, 0, 3000),
            },
            True,
        )
        return [roster, extra, history, outside]

    def extreme_poverty(self, rng) -> list[_Part]:
        r = self.registry
        members = np.flatnonzero(r.tekun)
        start = self.before_window(rng, members.size, extra=3300)
        start[np.isin(members, self.tekun_new)] = self.within_year(
            rng, int(np.isin(members, self.tekun_new).sum())
        )
        both = self.double
        out = self.outsiders(rng, 0.004, 60, 95)
        return [
            _Part(
                members,
                {
                    "support_mode": _pick(rng, ("分散供养", "集中供养"), members.size, (85, 15)),
                    "monthly_amount": self.money(rng, members.size, 800, 1200),
                    "start_date": start,
                },
            ),
            _Part(
                both,
                {
                    "support_mode": "分散供养",
                    "monthly_amount": self.money(rng, both.size, 800, 1200),
                    "start_date": self.before_window(rng, both.size, extra=1100),
                },
            ),
            _Part(
                out,
                {
                    "support_mode": _pick(rng, ("分散供养", "集中供养"), out.size, (70, 30)),
                    "monthly_amount": self.money(rng, out.size, 800, 1200),
                    "start_date": self.ago(rng, out.size, 0, 3650),
                },
                True,
            ),
        ]

    def temporary_assistance(self, rng) -> list[_Part]:
        r = self.registry
        reasons = ("因病住院，生活困难", "因灾房屋受损", "因意外事故", "子女就学支出大", "突发生活困难")
        recent = self.assisted
        earlier = _bernoulli(rng, (r.dibao | r.serious) & self.free(recent) & (r.age >= 18), 0.05)
        out = self.outsiders(rng, 0.008)
        parts = []
        for people, dates, outside in (
            (recent, self.within_year(rng, recent.size), False),
            (earlier, self.before_window(rng, earlier.size), False),
            (out, self.within_year(rng, out.size), True),
        ):
            parts.append(
                _Part(
                    people,
                    {
                        "reason": _pick(rng, reasons, people.size),
                        "amount": self.money(rng, people.size, 500, 5000),
                        "assistance_date": dates,
                    },
                    outside,
                )
            )
        return parts

    # -- 公安

    def death_record(self, rng) -> list[_Part]:
        causes = ("疾病", "疾病", "疾病", "自然死亡", "意外事故")
        dead = self.deceased
        died = self.ago(
            rng, dead.size, 1, int(self.params["recent_days"]) - 1
        )  # before the as-of day (BD-02)
        cancelled = died + rng.integers(5, 60, dead.size)
        cancelled = np.where(
            (cancelled <= self.registry.a) & (rng.random(dead.size) < 0.5), cancelled, NULL_DAY
        )
        out = self.outsiders(rng, 0.008, 50, 99)
        out_died = self.within_year(rng, out.size)
        out_cancelled = np.minimum(out_died + rng.integers(5, 60, out.size), self.registry.a)
        return [
            _Part(
                dead,
                {"death_date": died, "cancel_date": cancelled, "cause": _pick(rng, causes, dead.size)},
            ),
            _Part(
                out,
                {"death_date": out_died, "cancel_date": out_cancelled, "cause": _pick(rng, causes, out.size)},
                True,
            ),
        ]

    def household_move(self, rng) -> list[_Part]:
        r = self.registry
        listed = _mask(r.n, self.cadres, self.relatives, self.cadre_relative)
        movers = _bernoulli(rng, ~listed, 0.015)
        kind = _pick(rng, ("迁入", "户内变更"), movers.size, (6, 4))
        elsewhere = ("广东省东莞市", "浙江省宁波市", "武汉市洪山区", "咸宁市咸安区", "岳阳市临湘市")
        addresses = r.h_address.take(pa.array(r.hidx[movers]))
        moved = self.moved_relative
        out = self.outsiders(rng, 0.015, 0, 90)
        return [
            _Part(
                movers,
                {
                    "move_type": kind,
                    "from_address": _pick(rng, elsewhere, movers.size),
                    "to_address": addresses,
                    "move_date": self.within_year(rng, movers.size),
                },
            ),
            _Part(
                moved,
                {
                    "move_type": "迁入",
                    "from_address": _pick(rng, elsewhere, moved.size),
                    "to_address": r.h_address.take(pa.array(r.hidx[moved])),
                    "move_date": self.within_year(rng, moved.size),
                },
            ),
            _Part(
                out,
                {
                    "move_type": _pick(rng, ("迁出", "迁入"), out.size, (6, 4)),
                    "from_address": _pick(rng, elsewhere, out.size),
                    "to_address": _pick(rng, elsewhere, out.size),
                    "move_date": self.within_year(rng, out.size),
                },
                True,
            ),
        ]

    def vehicle_registration(self, rng) -> list[_Part]:
        r = self.registry
        cars = ("小型轿车", "小型普通客车", "小型越野客车", "轻型普通货车", "中型普通货车")
        exempt = ("二轮摩托车", "三轮摩托车", "轻便摩托车", "三轮汽车", "低速货车", "残疾人专用车")
        statuses = ("正常", "转移", "注销", "报废", "查封")
        poor = r.exited | r.dibao
        ordinary = _bernoulli(rng, ~poor & r.aged(20, 70), 0.12)
        small = _bernoulli(rng, poor & r.aged(18, 75) & self.free(self.vehicle), 0.10)
        gone = _bernoulli(rng, poor & r.aged(20, 70) & self.free(self.vehicle), 0.01)
        out = self.outsiders(rng, 0.03, 20, 75)

        def part(people, types, type_weights, status, outside=False):
            return _Part(
                people,
                {
                    "plate": _plates(rng, people.size),
                    "vehicle_type": _pick(rng, types, people.size, type_weights),
                    "status": status
                    if isinstance(status, str)
                    else _pick(rng, statuses, people.size, status),
                    "registered_on": self.ago(rng, people.size, 0, 3650),
                },
                outside,
            )

        return [
            part(ordinary, cars + exempt[:2], (40, 15, 10, 10, 3, 15, 7), (90, 4, 3, 2, 1)),
            part(small, exempt, (50, 15, 10, 10, 10, 5), (90, 4, 3, 2, 1)),
            part(gone, cars, None, (0, 30, 40, 30, 0)),
            part(self.vehicle, cars, (50, 15, 10, 20, 5), "正常"),
            part(out, cars + exempt[:2], (40, 15, 10, 10, 3, 15, 7), (90, 4, 3, 2, 1), outside=True),
        ]
