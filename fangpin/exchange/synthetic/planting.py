"""The planted people, chosen before any dataset is built (several datasets must agree about them)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fangpin.exchange.synthetic.outsiders import _Outsiders
from fangpin.exchange.synthetic.parameters import CADRES_PER_VILLAGE, RATES, STREAM
from fangpin.exchange.synthetic.registry import _Registry
from fangpin.exchange.synthetic.rows import _choose, _mask


class _Planting:
    """Who is planted for each rule, and the helpers the per-kind builders share."""

    def __init__(self, registry: _Registry, params: dict, seed: int):
        self.registry = r = registry
        self.params = params
        self.pool = _Outsiders(r, np.random.default_rng([seed, STREAM, 1]))
        self.ids = pa.concat_arrays([r.ids, self.pool.ids])
        self.names = pa.concat_arrays([r.names, self.pool.names])
        self.expected: dict[str, np.ndarray] = {}
        rng = np.random.default_rng([seed, STREAM, 0])
        n = r.n

        def count(rule: str, eligible: np.ndarray, base: int = n) -> int:
            return max(1, round(RATES[rule] * base)) if eligible.any() else 0

        def plant(rule: str, eligible: np.ndarray, base: int = n) -> np.ndarray:
            return _choose(rng, eligible, count(rule, eligible, base))

        everyone = np.ones(n, dtype=bool)
        # Deaths: a good share among 低保 members, so some are also "paid after death" (BD-02).
        k = count("BD-01", everyone)
        on_dibao = _choose(rng, r.dibao & (r.age >= 50), round(k * 0.4))
        self.deceased = np.concatenate([on_dibao, _choose(rng, ~r.dibao & (r.age >= 55), k - on_dibao.size)])
        dead = _mask(n, self.deceased)
        self.payroll = plant("BD-03", r.exited & r.aged(22, 58))
        self.vehicle = plant("BD-04", (r.exited | r.dibao) & r.aged(20, 65))
        self.company = plant("BD-05", r.exited & r.aged(22, 65))

        # Cadres head ordinary households; their housemates are listed as relatives (none exited, so no BD-06).
        villages = np.unique(r.h_region).size
        self.cadres = _choose(rng, r.head & ~r.exited & r.aged(28, 62), CADRES_PER_VILLAGE * villages)
        cadre_household = _mask(r.h, r.hidx[self.cadres])[r.hidx] if r.h else np.zeros(n, bool)
        self.relatives = np.flatnonzero(cadre_household & ~_mask(n, self.cadres))
        self.cadre_relative = plant("BD-06", r.exited & (r.age >= 18))
        self.moved_relative = plant("BD-07", _mask(n, self.relatives) & (r.age >= 16))

        self.no_card = plant("BD-08", r.disabled)
        self.double = plant("BD-09", r.dibao & ~dead)
        self.no_aid = plant("BD-10", r.exited & r.aid_student)
        self.no_pension = plant("BD-11", r.elderly)
        taken = dead | _mask(n, self.double)
        half = count("BD-12", everyone) // 2
        self.dibao_ended = _choose(rng, r.dibao & ~taken, max(1, half))
        self.dibao_unregistered = _choose(rng, ~r.dibao & ~r.tekun & ~dead & (r.age >= 18), max(1, half))
        self.not_enrolled = plant("BD-13", r.compulsory & ~r.disabled)
        self.dropouts = plant(
            "JC-14", r.compulsory & ~r.disabled & ~_mask(n, self.not_enrolled), base=int(r.compulsory.sum())
        )

        medical = np.zeros(n, dtype=bool)
        self.medical: dict[str, np.ndarray] = {}
        for rule, group in (
            ("JC-07", r.exited),
            ("JC-09", r.exited),
            ("JC-08", ~r.exited),
            ("JC-10", ~r.exited),
        ):
            self.medical[rule] = plant(rule, group & ~medical & (r.age >= 1))
            medical[self.medical[rule]] = True
        self.medical_planted = medical

        new_card = plant("JC-11", everyone)
        self.new_card = new_card[~_mask(n, self.no_card)[new_card]]
        exited_households = np.flatnonzero(r.h_exited & (r.h_head >= 0))
        self.unsafe_house = r.h_head[
            _choose(
                rng,
                _mask(r.h, exited_households) & (r.h_grade < 2),
                count("JC-12", r.h_exited, exited_households.size),
            )
        ]
        water_ok = r.h_water.all(axis=1) & (r.h_head >= 0)
        self.water_failed = r.h_head[_choose(rng, water_ok, count("JC-13", water_ok, r.h))]
        dibao_households = np.unique(r.hidx[r.dibao])
        new_households = _choose(
            rng, _mask(r.h, dibao_households), count("JC-15", r.dibao, dibao_households.size)
        )
        self.dibao_new = np.flatnonzero(
            r.dibao & _mask(r.h, new_households)[r.hidx] & ~_mask(n, self.dibao_ended)
        )
        self.tekun_new = plant("JC-16", r.tekun, base=int(r.tekun.sum()))
        self.assisted = plant("JC-17", (r.dibao | r.serious | r.chronic | r.exited) & (r.age >= 18))
        self.unemployed = plant("JC-18", (r.work >= 0) & r.aged(18, 59))
        self.claimed = plant("JC-19", r.exited & (r.serious | r.chronic) & (r.age >= 1))

        registered_water = r.h_head[~r.h_water.all(axis=1) & (r.h_head >= 0)] if r.h else np.zeros(0, int)
        self.expected = {
            "BD-01": self.deceased,
            "BD-02": self.deceased[r.dibao[self.deceased]],
            "BD-03": self.payroll,
            "BD-04": self.vehicle,
            "BD-05": self.company,
            "BD-06": self.cadre_relative,
            "BD-07": self.moved_relative,
            "BD-08": self.no_card,
            "BD-09": self.double,
            "BD-10": self.no_aid,
            "BD-11": self.no_pension,
            "BD-12": np.concatenate([self.dibao_ended, self.dibao_unregistered]),
            "BD-13": np.concatenate([self.not_enrolled, self.dropouts]),
            **self.medical,
            "JC-11": self.new_card,
            "JC-12": self.unsafe_house,
            "JC-13": np.concatenate([self.water_failed, registered_water]),
            "JC-14": self.dropouts,
            "JC-15": self.dibao_new,
            "JC-16": self.tekun_new,
            "JC-17": self.assisted,
            "JC-18": self.unemployed,
            "JC-19": self.claimed,
        }

    # -- helpers

    def ago(self, rng, n: int, low: int, high: int) -> np.ndarray:
        """Days `low`–`high` (inclusive) before the as-of date."""
        return self.registry.a - rng.integers(low, high + 1, n)

    def within_year(self, rng, n: int) -> np.ndarray:
        return self.ago(rng, n, 0, int(self.params["recent_days"]) - 1)

    def before_window(self, rng, n: int, window: str = "recent_days", extra: int = 365) -> np.ndarray:
        """Days just outside a rule's window: the rule must not see these rows."""
        days = int(self.params[window])
        return self.ago(rng, n, days + 1, days + extra)

    def outsiders(self, rng, share: float, low: int = 18, high: int = 90) -> np.ndarray:
        """Pool positions of people outside the registry, `share` of the registry's size, aged `low`–`high`."""
        return self.pool.sample(rng, round(self.registry.n * share), low, high)

    def money(self, rng, n: int, low: float, high: float) -> np.ndarray:
        return np.round(rng.uniform(low, high, n))

    def free(self, *groups: np.ndarray) -> np.ndarray:
        """Everyone not in these groups."""
        return ~_mask(self.registry.n, *groups)
