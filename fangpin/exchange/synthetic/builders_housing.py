"""The datasets 住建 and 水利 deliver (rows keyed by the household head)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fangpin.exchange.synthetic.planting import _Planting
from fangpin.exchange.synthetic.registry import WATER
from fangpin.exchange.synthetic.rows import _mask, _Part, _pick


class _Housing(_Planting):
    """House safety appraisals and drinking-water checks."""

    # -- 住建, 水利 (rows keyed by the household head)

    def house_appraisal(self, rng) -> list[_Part]:
        r = self.registry
        has_head = r.h_head >= 0
        registered_unsafe = np.flatnonzero(has_head & (r.h_grade >= 2))
        planted = _mask(r.h, r.hidx[self.unsafe_house]) if r.h else np.zeros(0, bool)
        safe = np.flatnonzero(
            has_head & (r.h_grade < 2) & ~planted & (rng.random(r.h) < np.where(r.h_exited, 0.5, 0.1))
        )
        safe_grade = np.where(r.h_grade[safe] >= 0, r.h_grade[safe], rng.choice(2, safe.size, p=(0.6, 0.4)))
        renovated = np.flatnonzero(has_head & (r.h_grade < 2) & ~planted & (rng.random(r.h) < 0.002))
        letters = pa.array(["A", "B", "C", "D"])
        appraisers = ("县住房和城乡建设局", "咸宁市房屋安全鉴定中心", "湖北省建筑工程质量监督检验测试中心")

        def part(households, grade, dates):
            return _Part(
                r.h_head[households],
                {
                    "address": r.h_address.take(pa.array(households)),
                    "grade": letters.take(pa.array(grade)) if not isinstance(grade, str) else grade,
                    "appraiser": _pick(rng, appraisers, households.size),
                    "appraised_on": dates,
                },
            )

        unsafe = r.hidx[self.unsafe_house]
        out = self.outsiders(rng, 0.01, 30, 85)
        return [
            # The appraisal that put C/D in the registry, before the window (JC-05 flags these houses).
            part(
                registered_unsafe,
                r.h_grade[registered_unsafe],
                self.before_window(rng, registered_unsafe.size),
            ),
            part(safe, safe_grade, self.within_year(rng, safe.size)),
            part(unsafe, rng.choice([2, 3], unsafe.size, p=(0.8, 0.2)), self.within_year(rng, unsafe.size)),
            # Appraised unsafe before the window, renovated since: not a new warning.
            part(renovated, "C", self.before_window(rng, renovated.size)),
            _Part(
                out,
                {
                    "address": "城区",
                    "grade": _pick(rng, ("A", "B", "C", "D"), out.size, (60, 38, 1.5, 0.5)),
                    "appraiser": _pick(rng, appraisers, out.size),
                    "appraised_on": self.within_year(rng, out.size),
                },
                True,
            ),
        ]

    def water_check(self, rng) -> list[_Part]:
        r = self.registry
        has_head = r.h_head >= 0
        failing = ~r.h_water.all(axis=1) if r.h else np.zeros(0, bool)
        planted = _mask(r.h, r.hidx[self.water_failed]) if r.h else np.zeros(0, bool)
        checked = np.flatnonzero(
            has_head & (failing | planted | (rng.random(r.h) < np.where(r.h_exited, 0.6, 0.2)))
        )
        ok = r.h_water[checked].copy()
        broken = planted[checked]
        ok[np.flatnonzero(broken), rng.integers(0, 4, int(broken.sum()))] = False
        yes_no = pa.array(["否", "是"])
        columns = {f"{w}_ok": yes_no.take(pa.array(ok[:, i].astype(np.int64))) for i, w in enumerate(WATER)}
        out = self.outsiders(rng, 0.01, 30, 85)
        return [
            _Part(
                r.h_head[checked],
                {
                    "supply": _pick(rng, ("集中供水", "分散供水"), checked.size, (8, 2)),
                    **columns,
                    "checked_on": self.within_year(rng, checked.size),
                },
            ),
            _Part(
                out,
                {
                    "supply": "集中供水",
                    **{f"{w}_ok": "是" for w in WATER},
                    "checked_on": self.within_year(rng, out.size),
                },
                True,
            ),
        ]
