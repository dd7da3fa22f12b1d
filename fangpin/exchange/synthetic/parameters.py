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
# file: importing the monitoring app from here would point the dependency the wrong way).
PARAMETERS_FILE = Path(__file__).resolve().parents[2] / "monitoring" / "data" / "parameters.csv"
FALLBACK_PARAMETERS = {
    "recent_days": 365,
    "medical_window_days": 365,
    "unemployment_days": 90,
    "hukou_move_days": 730,
    "medical_single_stay_exited": 6000,
    "medical_single_stay_other": 10000,
    "rural_income_prev_year": 22600,
    "medical_cumulative_ratio_exited": 0.5,
    "medical_cumulative_ratio_other": 1.0,
    "company_min_capital": 10,
    "compulsory_age_min": 6,
    "compulsory_age_max": 15,
    "elderly_age": 60,
}


def default_parameters(as_of: dt.date) -> dict[str, float]:
    """The shipped default of each parameter the generator calibrates against, in force on `as_of`."""
    values = dict(FALLBACK_PARAMETERS)
    if PARAMETERS_FILE.exists():
        chosen: dict[str, str] = {}
        with PARAMETERS_FILE.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                key, since = row["key"], row["effective_from"]
                if key in values and since <= as_of.isoformat() and since >= chosen.get(key, ""):
                    chosen[key] = since
                    values[key] = float(row["value"])
    return values
