"""People outside the registry: valid ID numbers no synthetic village uses, and names."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangpin.core.validators import ID_CHECK_CHARS, ID_WEIGHTS
from fangpin.exchange.synthetic.parameters import OUTSIDER_SHARE
from fangpin.exchange.synthetic.registry import _Registry
from fangpin.registry import synthetic as registry_synth


def _id_numbers(prefix: np.ndarray, days: np.ndarray, seq: np.ndarray) -> pa.Array:
    """Valid 18-character ID numbers (GB 11643 check character) for county prefixes, birth days and sequence
    numbers, built as 17-digit integers so no Python string is made per row."""
    dates = days.astype("datetime64[D]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (dates.astype("datetime64[M]") - dates.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    birth = year * 10_000 + month * 100 + day
    weights = iter(ID_WEIGHTS)
    total = np.zeros(prefix.size, dtype=np.int64)
    for value, width in ((prefix, 6), (birth, 8), (seq, 3)):
        for place in range(width - 1, -1, -1):
            total += (value // 10**place) % 10 * next(weights)
    body = prefix * 10**11 + birth * 1000 + seq
    checks = pa.array(list(ID_CHECK_CHARS)).take(pa.array(total % 11))
    return pc.binary_join_element_wise(pa.array(body).cast(pa.string()), checks, "")


SURNAMES = pa.array(list(registry_synth.SURNAMES))
SURNAME_P = np.array(registry_synth.SURNAME_WEIGHTS) / sum(registry_synth.SURNAME_WEIGHTS)
GIVEN = {True: pa.array(list(registry_synth.GIVEN_MALE)), False: pa.array(list(registry_synth.GIVEN_FEMALE))}


def _names(rng: np.random.Generator, male: np.ndarray) -> pa.Array:
    n = male.size
    surname = SURNAMES.take(pa.array(rng.choice(len(SURNAMES), n, p=SURNAME_P)))
    given = []
    for _ in range(2):
        m = GIVEN[True].take(pa.array(rng.integers(0, len(GIVEN[True]), n)))
        f = GIVEN[False].take(pa.array(rng.integers(0, len(GIVEN[False]), n)))
        given.append(pc.if_else(pa.array(male), m, f))
    second = pc.if_else(pa.array(rng.random(n) < 0.35), pa.scalar(""), given[1])
    return pc.binary_join_element_wise(surname, given[0], second, "")


class _Outsiders:
    """A pool of people outside the registry, sorted by birth date, sampled by age range. Their ID numbers
    use the registry's county prefixes but sequence numbers above every synthetic village's slots."""

    def __init__(self, registry: _Registry, rng: np.random.Generator):
        first_seq = (max(registry_synth.TOWNSHIP_RANKS.values(), default=10) + 1) * (
            2 * registry_synth.MAX_VILLAGES_PER_TOWNSHIP
        )
        seqs = 1000 - max(first_seq, 800)
        if seqs < 1:
            raise ValueError("synthetic villages use every ID sequence number: none left for outsiders")
        size = max(2_000, int(registry.n * OUTSIDER_SHARE))
        # Registry ID numbers carry their county's code, the first six digits of the village code.
        prefixes = np.sort(pc.unique(pa.array(registry.h_region // 1_000_000)).to_numpy())
        first_day, last_day = registry.a - 100 * 365, registry.a - 1
        span = last_day - first_day + 1
        space = prefixes.size * span * seqs
        # First occurrences of random draws: distinct, and still in random order.
        codes = pc.unique(pa.array(rng.integers(0, space, int(size * 1.05) + 16))).to_numpy()[:size]
        prefix = prefixes[codes // (span * seqs)]
        rest = codes % (span * seqs)
        day = first_day + rest // seqs
        seq = 1000 - seqs + rest % seqs
        order = np.argsort(day, kind="stable")
        self.day, prefix, seq = day[order], prefix[order], seq[order]
        self.ids = _id_numbers(prefix, self.day, seq)
        self.male = seq % 2 == 1
        self.names = _names(rng, self.male)
        self.a = registry.a

    def sample(self, rng: np.random.Generator, count: int, low: int, high: int) -> np.ndarray:
        """Up to `count` distinct pool positions of people aged `low`–`high`."""
        start = np.searchsorted(self.day, self.a - int((high + 1) * 365.25) + 1)
        stop = np.searchsorted(self.day, self.a - int(low * 365.25), side="right")
        count = min(count, stop - start)
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        return start + rng.choice(stop - start, count, replace=False)
