"""Reading the registry (Parquet, database) and writing the deliveries (Parquet, database)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fangpin.exchange.catalogue import BY_CODE, DatasetKind
from fangpin.exchange.importers import CHUNK
from fangpin.exchange.synthetic.registry import HOUSEHOLD_COLUMNS, PERSON_COLUMNS, WATER


def read_registry_parquet(directory) -> tuple[pa.Table, pa.Table]:
    """(persons, households) from the Parquet files `fangpin synth --out` writes: the needed columns only."""
    directory = Path(directory)
    persons = pq.read_table(directory / "persons.parquet", columns=list(PERSON_COLUMNS))
    households = pq.read_table(directory / "households.parquet", columns=list(HOUSEHOLD_COLUMNS))
    return persons, households


def write_parquet_datasets(tables: dict[str, pa.Table], directory) -> dict[str, Path]:
    """DIR/datasets/<code>.parquet per kind: the rows as the departments send them (dirty IDs and all)."""
    out = Path(directory) / "datasets"
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for code, table in tables.items():
        paths[code] = out / f"{code}.parquet"
        pq.write_table(table, paths[code], compression="zstd", row_group_size=CHUNK)
    return paths


def read_registry(region, *, chunk: int = 50_000) -> tuple[pa.Table, pa.Table]:
    """(persons, households) of the active households in `region`'s subtree, in insertion order, with the
    columns `generate` reads. A plain queryset read in chunks: enough at the scales written to a database."""
    from fangpin.core.scoping import subtree_bounds
    from fangpin.registry.models import Household, Person

    low, high = subtree_bounds(region.path)
    households = Household.objects.filter(status="active", region__path__gte=low, region__path__lt=high)
    persons = Person.objects.filter(household__in=households)
    person_fields = [("household__number" if c == "household_number" else c) for c in PERSON_COLUMNS]
    household_fields = [("region__code" if c == "region_code" else c) for c in HOUSEHOLD_COLUMNS]
    return (
        _query_table(persons.order_by("pk").values_list(*person_fields), PERSON_COLUMNS, PERSON_TYPES, chunk),
        _query_table(
            households.order_by("pk").values_list(*household_fields),
            HOUSEHOLD_COLUMNS,
            HOUSEHOLD_TYPES,
            chunk,
        ),
    )


PERSON_TYPES = {
    "birth_date": pa.date32(),
    "disability_category": pa.int64(),
    "disability_grade": pa.int64(),
    **{
        c: pa.bool_()
        for c in ("disabled", "serious_illness", "chronic_disease", "employee_pension", "dibao", "tekun")
    },
}
HOUSEHOLD_TYPES = {f"water_{w}_ok": pa.bool_() for w in WATER}


def _query_table(rows, names: tuple[str, ...], types: dict, chunk: int) -> pa.Table:
    schema = pa.schema([pa.field(n, types.get(n, pa.string())) for n in names])
    batches, buffer = [], []

    def flush():
        columns = list(zip(*buffer, strict=True)) if buffer else [[] for _ in names]
        batches.append(
            pa.RecordBatch.from_arrays(
                [pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema
            )
        )
        buffer.clear()

    for row in rows.iterator(chunk_size=chunk):
        buffer.append(row)
        if len(buffer) >= chunk:
            flush()
    flush()
    return pa.Table.from_batches(batches, schema=schema)


SYSTEM_USERNAME = "system-synth"


def system_user():
    """The account synthetic deliveries are recorded under: cannot log in (inactive, no usable password)."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "display_name": "合成数据"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def delivered_kinds(region) -> set[str]:
    """Codes of the kinds already delivered synthetically to `region`."""
    from fangpin.core.models import ImportBatch

    kinds = ImportBatch.objects.filter(
        user__username=SYSTEM_USERNAME, region=region, status=ImportBatch.Status.SUCCEEDED
    ).values_list("kind", flat=True)
    return {k.removeprefix("dataset:") for k in kinds if k.startswith("dataset:")}


@dataclass
class Saved:
    """What `save_datasets` did for one kind: the dataset recorded, or None when one was already there."""

    kind: DatasetKind
    dataset: object | None
    rows: int


def save_datasets(tables: dict[str, pa.Table], *, region, seed: int) -> list[Saved]:
    """Record each table as a delivery to `region`, as an import would: the Parquet in `dataset_dir()` (ID
    numbers normalised, as the importer stores them; repeated rows kept), a succeeded ImportBatch of kind
    "dataset:<code>" by the system account, the DepartmentDataset, and lineage (PersonSource) by
    `match_and_link`. A kind already delivered synthetically to `region` is skipped, so a re-run adds nothing.

    The DepartmentDataset is bulk-created: like the registry's bulk rows it sends no post_save, so a bulk load
    does not start one incremental re-screening per delivery; run `fangpin screen` afterwards.
    """
    from django.db import transaction
    from django.utils import timezone

    from fangpin.core.importing import file_sha256
    from fangpin.core.models import ImportBatch
    from fangpin.exchange.importers import dataset_path, record_dataset

    user = system_user()
    delivered = delivered_kinds(region)
    out: list[Saved] = []
    for code, table in tables.items():
        kind = BY_CODE[code]
        if code in delivered:
            out.append(Saved(kind, None, table.num_rows))
            continue
        table = _normalised(kind, table)
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                kind=kind.import_kind,
                department=kind.department,
                user=user,
                region=region,
                file_name=f"合成数据-{kind.name}-种子{seed}.parquet",
                file_sha256="",
                status=ImportBatch.Status.RUNNING,
            )
            path = dataset_path(kind, batch)
            try:
                pq.write_table(table, path, compression="zstd", row_group_size=CHUNK)
            except BaseException:
                path.unlink(missing_ok=True)  # no half-written file outlives the rolled-back batch
                raise
            dates = pc.min_max(table.column(kind.current_date_column)).as_py()
            dataset, matched = record_dataset(
                kind, batch, path, rows=table.num_rows, period=(dates["min"], dates["max"]), announce=False
            )
            # The delivery is the Parquet itself: there is no other original file.
            batch.file.name = dataset.parquet.name
            with path.open("rb") as handle:
                batch.file_sha256 = file_sha256(handle)
            batch.status = ImportBatch.Status.SUCCEEDED
            batch.rows_total = batch.created = table.num_rows
            batch.finished_at = timezone.now()
            batch.message = f"合成数据：{table.num_rows:,} 行，其中 {matched:,} 行匹配到登记人员"
            batch.save()
        out.append(Saved(kind, dataset, table.num_rows))
    return out


def _normalised(kind: DatasetKind, table: pa.Table) -> pa.Table:
    """ID numbers as the importer stores them: trimmed, upper-case X."""
    for c in kind.columns:
        if c.type == "id_number":
            i = table.schema.get_field_index(c.field)
            table = table.set_column(
                i, table.schema.field(i), pc.utf8_upper(pc.utf8_trim_whitespace(table.column(i)))
            )
    return table
