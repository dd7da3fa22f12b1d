"""Department data: the delivered datasets a run over a region reads."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow as pa
from django.db.models import Q

from fangpin.core.scoping import subtree_bounds
from fangpin.exchange.catalogue import BY_CODE
from fangpin.exchange.models import DepartmentDataset
from fangpin.geo.models import Region
from fangpin.monitoring.services.parameters import ancestor_paths
from fangpin.screening.compiler import id_key_sql


def datasets_for(region: Region) -> tuple[dict[str, list[Path]], dict[str, dict]]:
    """The delivered datasets a run over `region` reads — those delivered for the region, an ancestor or a part
    of it — as Parquet paths per kind, and what they are (for the run record and explanations)."""
    ancestors = ancestor_paths(region)
    low, high = subtree_bounds(region.path)
    qs = (
        DepartmentDataset.objects.filter(
            Q(batch__region__path__in=ancestors)
            | Q(batch__region__path__gte=low, batch__region__path__lt=high)
        )
        .select_related("batch")
        .order_by("kind", "created_at")
    )
    paths: dict[str, list[Path]] = defaultdict(list)
    meta: dict[str, dict] = {}
    for dataset in qs:
        if not dataset.parquet_path.exists():
            continue
        paths[dataset.kind].append(dataset.parquet_path)
        kind = BY_CODE.get(dataset.kind)
        entry = meta.setdefault(
            dataset.kind,
            {
                "title": kind.name if kind else dataset.kind,
                "department": dataset.get_department_display(),
                "ids": [],
            },
        )
        entry["ids"].append(dataset.pk)
        entry["latest"] = max(
            filter(None, [entry.get("latest"), dataset.created_at.date().isoformat()]), default=None
        )
        if dataset.period_end:
            entry["period_end"] = max(filter(None, [entry.get("period_end"), dataset.period_end.isoformat()]))
    return dict(paths), meta


def _datasets_for_persons(paths: dict[str, list[Path]], persons: pa.Table) -> dict[str, pa.Table]:
    """Only the department rows about these persons (incremental runs read a few rows, not whole files)."""
    import duckdb

    from fangpin.screening.schema import load_schema

    schema = load_schema()
    ids = persons.column("id_number")
    out = {}
    con = duckdb.connect()
    try:
        con.register("people", pa.table({"id_number": ids}))
        # the engine's own ID key, so the rows read here are exactly the rows the engine would join
        con.execute(f"CREATE TABLE wanted AS SELECT {id_key_sql('id_number')} AS id_key FROM people")
        for code, files in paths.items():
            table = schema.datasets.get(code)
            if table is None or not files:
                continue
            listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
            columns = ", ".join(table.columns)
            out[code] = con.sql(
                f"SELECT {columns} FROM read_parquet([{listed}], union_by_name = true) "
                f"WHERE {id_key_sql(table.id_column)} IN (SELECT id_key FROM wanted)"
            ).to_arrow_table()
    finally:
        con.close()
    return out
