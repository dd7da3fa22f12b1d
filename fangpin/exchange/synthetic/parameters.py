"""The streams, the planted rates and the screening parameters the generator is calibrated with."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

STREAM = 5_400_217  # numpy seed-sequence word that keeps these streams apart from any other use of the seed
EPOCH = dt.date(1970, 1, 1)

# Planted anomalies per rule, as a share of all registry persons unless the comment says otherwise.
RATES = {
    "BD-01": 0.0005,  # §13 deceased beneficiary
    "BD-03": 0.0002,  # §13 public servant
    "BD-04": 0.005,  # §13 vehicle owner
    "BD-05": 0.003,  # §13 company
    "BD-06": 0.0005,
    "BD-07": 0.0002,
    "BD-08": 0.0005,
    "BD-09": 0.0001,
    "BD-10": 0.0005,
    "BD-11": 0.001,
    "BD-12": 0.0005,  # half registered 低保 without an active roster row, half the other way round
    "BD-13": 0.0002,  # compulsory-age children missing from the enrolment list (dropouts come on top)
    "JC-07": 0.001,
    "JC-08": 0.0005,
    "JC-09": 0.0005,
    "JC-10": 0.0003,
    "JC-11": 0.001,
    "JC-12": 0.004,  # §13 dangerous houses ≤ 0.5 %: of exited households, newly appraised C/D this year
    "JC-13": 0.002,  # of households
    "JC-14": 0.0005,  # §13: of compulsory-age children
    "JC-15": 0.08,  # of 低保 households: newly admitted within the year
    "JC-16": 0.10,  # of 特困 persons: newly admitted within the year
    "JC-17": 0.003,
    "JC-18": 0.001,
    "JC-19": 0.002,
}
DIRTY_X_SHARE = 0.2  # of ID numbers ending in X: written with a lower-case x
DIRTY_SPACE_SHARE = 0.002  # of rows: the ID number padded with spaces
DUPLICATE_SHARE = 0.0001  # §13 duplicate ID: rows delivered twice (at least one per dataset)
CADRES_PER_VILLAGE = 6
OUTSIDER_SHARE = 0.2  # the pool of people outside the registry, relative to the registry's size

# The defaults the screening rules are calibrated with (fangpin/monitoring/data/parameters.csv, read as a data
# file: importing the monitoring app from here would point the dependency the wrong way). Read, never copied:
# the generator plants against the values `fangpin load-parameters` loads.
PARAMETERS_FILE = Path(__file__).resolve().parents[2] / "monitoring" / "data" / "parameters.csv"
# The province's values, then the city's, which win a tie on the same start date (as in the database).
PARAMETER_REGIONS = ("420000", "421200")


def default_parameters(as_of: dt.date, regions: tuple[str, ...] = PARAMETER_REGIONS) -> dict[str, float]:
    """Every shipped parameter's value in force on `as_of` for a Xianning county: the latest start date on or
    before it, the nearer region winning a tie."""
    best: dict[str, tuple[tuple[str, int], float]] = {}
    with PARAMETERS_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["region"] not in regions or row["effective_from"] > as_of.isoformat():
                continue
            rank = (row["effective_from"], regions.index(row["region"]))
            if row["key"] not in best or rank > best[row["key"]][0]:
                best[row["key"]] = (rank, float(row["value"]))
    return {key: value for key, (_, value) in best.items()}
