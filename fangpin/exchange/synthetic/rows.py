"""Rows: the parts a dataset is built from, and the column-value helpers the builders share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangpin.exchange.synthetic.registry import _array
from fangpin.registry import synthetic as registry_synth


@dataclass
class _Part:
    """Rows of one dataset: who (registry positions, or pool positions when `outside`) and the column values."""

    people: np.ndarray
    columns: dict
    outside: bool = False


def _pick(rng: np.random.Generator, labels, n: int, weights=None) -> pa.Array:
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return pa.array(list(labels), pa.string()).take(pa.array(rng.choice(len(labels), n, p=p)))


def _repeat(value, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


def _choose(rng: np.random.Generator, mask: np.ndarray, count: int) -> np.ndarray:
    candidates = np.flatnonzero(mask)
    count = min(count, candidates.size)
    return rng.choice(candidates, count, replace=False) if count else candidates[:0]


def _bernoulli(rng: np.random.Generator, mask: np.ndarray, p) -> np.ndarray:
    candidates = np.flatnonzero(mask)
    chance = p if np.isscalar(p) else np.asarray(p)[candidates]
    return candidates[rng.random(candidates.size) < chance]


def _mask(n: int, *groups: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for g in groups:
        out[g] = True
    return out


NULL_DAY = np.iinfo(np.int64).min


def _column(field: pa.Field, value, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, field.type)
    if isinstance(value, str):
        return _repeat(value, n)
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return _array(value).cast(field.type)
    value = np.asarray(value)
    if pa.types.is_date32(field.type):
        missing = value == NULL_DAY
        return pa.array(np.where(missing, 0, value).astype(np.int32), mask=missing).cast(pa.date32())
    if pa.types.is_decimal(field.type):
        missing = np.isnan(value)
        return pa.array(np.round(np.where(missing, 0, value), 2), mask=missing).cast(field.type)
    return pa.array(value).cast(field.type)


PLATE_CHARS = pa.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))


def _plates(rng, n: int) -> pa.Array:
    chars = [PLATE_CHARS.take(pa.array(rng.integers(0, len(PLATE_CHARS), n))) for _ in range(5)]
    return pc.binary_join_element_wise(_repeat("鄂L", n), *chars, "")


def _companies(rng, n: int) -> pa.Array:
    first = pa.array(list(registry_synth.VILLAGE_FIRST)).take(
        pa.array(rng.integers(0, len(registry_synth.VILLAGE_FIRST), n))
    )
    second = pa.array(list(registry_synth.GIVEN_MALE)).take(
        pa.array(rng.integers(0, len(registry_synth.GIVEN_MALE), n))
    )
    trade = _pick(rng, ("农业发展", "商贸", "建材", "茶业", "养殖", "电子科技", "物流"), n)
    return pc.binary_join_element_wise(_repeat("咸宁市", n), first, second, trade, _repeat("有限公司", n), "")


def _credit_codes(rng, n: int) -> pa.Array:
    chars = [PLATE_CHARS.take(pa.array(rng.integers(0, len(PLATE_CHARS), n))) for _ in range(10)]
    return pc.binary_join_element_wise(_repeat("91421200", n), *chars, "")
