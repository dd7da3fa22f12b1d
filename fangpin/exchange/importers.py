"""Importers for department datasets, one per catalogue kind, registered as "dataset:<code>".

Who may upload: a user whose `department` is the kind's department, a city administrator (role "city": the
city platform receives provincial pushes for every department) and a superuser. Anyone else gets a REJECTED
batch whose message says why (the runner has no per-kind permission hook; see `check_uploader`).

`prepare` streams: each row is validated and, if good, appended to column buffers flushed every CHUNK rows to
a temporary Parquet file; only failed rows keep their raw values (for the error workbook). `write` moves the
Parquet into MEDIA_ROOT/datasets/, records the DepartmentDataset, matches ID numbers against the registry in
chunks of distinct numbers, and writes one PersonSource per (matched person, dataset).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.accounts.models import Department
from fangpin.core.bulk import insert_rows
from fangpin.core.changelog import log_bulk
from fangpin.core.importing import Importer, Plan, RowError, register
from fangpin.core.spreadsheets import Table
from fangpin.core.validators import normalize_digits, parse_id_number
from fangpin.exchange.catalogue import KINDS, DatasetColumn, DatasetKind
from fangpin.exchange.models import DepartmentDataset, PersonSource

CHUNK = 20_000  # rows per Parquet row group: bounded memory, large enough for fast scans
MATCH_CHUNK = 5_000  # distinct ID numbers per registry query (well under SQLite's variable limit)
MAX_ERRORS = (
    1_000  # a file this broken is refused anyway; keeping every error of 1M rows would not be bounded
)
EARLIEST = dt.date(1900, 1, 1)
MONEY_MAX = Decimal("1e12")
CENT = Decimal("0.01")

ARROW_TYPES = {
    "id_number": pa.string(),
    "text": pa.string(),
    "choice": pa.string(),
    "date": pa.date32(),
    "decimal": pa.decimal128(16, 2),
    "integer": pa.int64(),
}


def arrow_schema(kind: DatasetKind) -> pa.Schema:
    """The Parquet schema of a kind: its declared typed columns plus `source_line` (the row in the upload)."""
    return pa.schema(
        [pa.field(c.field, ARROW_TYPES[c.type], nullable=not c.required) for c in kind.columns]
        + [pa.field("source_line", pa.int32(), nullable=False)]
    )


def dataset_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def may_upload(kind: DatasetKind, user: Any) -> bool:
    """Whether `user` may upload `kind`: own department, city administrator, or superuser."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if getattr(user, "department", "") == kind.department:
        return True
    return not getattr(user, "department", "") and "city" in user.role_codes


def check_uploader(kind: DatasetKind, user: Any) -> None:
    """Raise PermissionDenied (Chinese message) unless `user` may upload `kind` — for views, before the upload."""
    if may_upload(kind, user):
        return
    department = getattr(user, "department", "")
    if department:
        mine = Department(department).label
        raise PermissionDenied(f"您属于{mine}部门，不能上传{kind.department_label}部门的“{kind.name}”")
    raise PermissionDenied(f"只有{kind.department_label}部门的用户或市级管理员可以上传“{kind.name}”")


# ---- cell parsers: each returns the typed value or raises ValueError with a Chinese reason -------------

_DATE_SEPARATORS = re.compile(r"[/.年月]")


def parse_date(raw: Any) -> dt.date | None:
    """A date from a cell: Excel dates, 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 20250301."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    else:
        text = str(raw).strip()
        try:
            value = dt.date.fromisoformat(text)  # the common case, fast
        except ValueError:
            cleaned = _DATE_SEPARATORS.sub("-", text).replace("日", "").split(" ")[0].split("T")[0]
            parts = cleaned.split("-")
            try:
                if len(parts) == 3:
                    value = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
                elif len(parts) == 1 and len(cleaned) == 8 and cleaned.isdigit():
                    value = dt.date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:]))
                else:
                    raise ValueError
            except ValueError:
                raise ValueError("不是有效日期，应填如 2025-03-01") from None
    if value < EARLIEST:
        raise ValueError("日期早于1900年")
    return value


_PLAIN_AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,2})?")


def parse_decimal(raw: Any) -> str | None:
    """An amount in yuan as canonical text ("1234.5"): not negative, at most two decimal places (thousands
    separators and ¥ allowed). Text, because Arrow casts a whole column of it to decimal128 far faster than
    Python builds Decimal objects."""
    if raw is None or raw == "":
        return None
    if type(raw) is str and _PLAIN_AMOUNT.fullmatch(raw):
        return raw  # the common case
    if isinstance(raw, int):
        value = Decimal(raw)
    else:
        text = repr(raw) if isinstance(raw, float) else str(raw).strip().replace(",", "").lstrip("¥￥")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError("应填数字金额") from None
        if not value.is_finite():
            raise ValueError("应填数字金额")
    if value < 0:
        raise ValueError("金额不能为负数")
    if value >= MONEY_MAX:
        raise ValueError("金额过大")
    if value != value.quantize(CENT):
        if isinstance(raw, float) and abs(value - value.quantize(CENT)) < Decimal("1e-9"):
            return str(value.quantize(CENT))  # a binary-float artefact such as 0.1 + 0.2
        raise ValueError("金额最多保留两位小数")
    return str(value.quantize(CENT))


def parse_integer(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, int):
        value = raw
    else:
        try:
            number = float(str(raw).strip())
        except ValueError:
            raise ValueError("应填整数") from None
        if not number.is_integer():
            raise ValueError("应填整数")
        value = int(number)
    if value < 0:
        raise ValueError("不能为负数")
    return value


def parse_id(raw: Any, today: dt.date | None = None) -> str | None:
    text = normalize_digits(raw)
    if not text:
        return None
    try:
        return parse_id_number(text, today=today).number
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None


def parse_text(raw: Any) -> str | None:
    if type(raw) is str:
        return raw.strip() or None
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    return text or None


MEMO_LIMIT = 300_000  # cached cells per column: department files repeat ID numbers and dates a lot


def _memoised(parse):
    """`parse` with a bounded per-import cache of text cells (errors cached too): a 1M-row settlement file
    holds each person's ID number several times and a few hundred distinct dates."""
    cache: dict[Any, tuple[Any, str | None]] = {}

    def parse_cached(raw: Any) -> Any:
        if type(raw) is not str:
            return parse(raw)
        hit = cache.get(raw)
        if hit is None:
            try:
                hit = (parse(raw), None)
            except ValueError as exc:
                hit = (None, str(exc))
            if len(cache) >= MEMO_LIMIT:
                cache.clear()
            cache[raw] = hit
        if hit[1] is not None:
            raise ValueError(hit[1])
        return hit[0]

    return parse_cached


def _parser(column: DatasetColumn, today: dt.date):
    """The cell parser of one column for one import (ID numbers checked against `today`)."""
    if column.type == "choice":
        allowed = frozenset(column.choices)
        message = f"不是有效的选项，可选：{'、'.join(column.choices)}"

        def parse_choice(raw: Any) -> str | None:
            text = parse_text(raw)
            if text is not None and text not in allowed:
                raise ValueError(message)
            return text

        return parse_choice
    if column.type == "id_number":
        return _memoised(lambda raw: parse_id(raw, today))
    if column.type == "date":
        return _memoised(parse_date)
    return {"text": parse_text, "decimal": parse_decimal, "integer": parse_integer}[column.type]


# ---- the importer ---------------------------------------------------------------------------------------


@dataclass
class PreparedDataset:
    """What `prepare` hands to `write`: the temporary Parquet file and what it holds."""

    path: Path
    rows: int
    period_start: dt.date | None
    period_end: dt.date | None


class DatasetImporter(Importer):
    """Base for the generated per-kind importers; `dataset_kind` is the catalogue entry."""

    dataset_kind: DatasetKind
    permission = ""  # replaced by the department check in `check`

    def check(self, user: Any) -> None:
        check_uploader(self.dataset_kind, user)

    def prepare(self, table: Table, user: Any) -> Plan:
        kind = self.dataset_kind
        plan = Plan(headers=table.headers, total=0)
        schema = arrow_schema(kind)
        today = dt.date.today()
        buffers: dict[str, list] = {c.field: [] for c in kind.columns} | {"source_line": []}
        parsers = [
            (c.field, c.required, _parser(c, today), table.headers[c.field], buffers[c.field].append)
            for c in kind.columns
            if c.field in table.headers
        ]
        absent = [buffers[c.field].append for c in kind.columns if c.field not in table.headers]
        lines = buffers["source_line"]
        dates = buffers[kind.current_date_column]
        current_header = table.headers[kind.current_date_column]
        errors, failed_rows = plan.errors, plan.rows
        # In MEDIA_ROOT/datasets, not /tmp: the move into place is then a rename on one filesystem.
        tmp = dataset_dir() / f"tmp-{uuid.uuid4().hex}.parquet"
        writer = pq.ParquetWriter(tmp, schema, compression="zstd")
        period_start = period_end = None
        total = 0
        try:
            for line, raw in table.rows:
                total += 1
                failed = False
                # Values go straight into the column buffers; once any row has failed the file is refused
                # and the buffers are thrown away, so a half-appended row does no harm.
                for field_name, required, parse, header, append in parsers:
                    cell = raw.get(field_name)
                    try:
                        value = parse(cell)
                        if value is None and required:
                            raise ValueError("必须填写")
                    except ValueError as exc:
                        failed = True
                        if len(errors) < MAX_ERRORS:
                            errors.append(RowError(line, header, cell, str(exc)))
                        continue
                    append(value)
                if not failed and dates[-1] > today:
                    failed = True
                    if len(errors) < MAX_ERRORS:
                        errors.append(
                            RowError(line, current_header, raw.get(kind.current_date_column), "日期晚于今天")
                        )
                if failed and len(failed_rows) < MAX_ERRORS:
                    failed_rows[line] = raw
                if errors:
                    for values in buffers.values():
                        values.clear()
                    continue
                for append in absent:
                    append(None)
                lines.append(line)
                date = dates[-1]
                if period_start is None or date < period_start:
                    period_start = date
                if period_end is None or date > period_end:
                    period_end = date
                if len(lines) >= CHUNK:
                    _flush(writer, schema, buffers)
            if not errors and lines:
                _flush(writer, schema, buffers)
            writer.close()
        except BaseException:
            writer.close()
            tmp.unlink(missing_ok=True)
            raise
        plan.total = total
        if errors:
            # The runner will refuse the file and never call `write`: nothing may stay behind.
            tmp.unlink(missing_ok=True)
            return plan
        plan.items = [PreparedDataset(tmp, total, period_start, period_end)]
        return plan

    def write(self, plan: Plan, user: Any) -> dict[str, int]:
        kind = self.dataset_kind
        prepared: PreparedDataset = plan.items[0]
        batch = self.batch
        final = dataset_path(kind, batch)
        os.replace(prepared.path, final)
        record_dataset(
            kind, batch, final, rows=prepared.rows, period=(prepared.period_start, prepared.period_end)
        )
        return {"created": prepared.rows, "updated": 0, "unchanged": 0}


def dataset_path(kind: DatasetKind, batch: Any) -> Path:
    """Where a delivery's Parquet lives: MEDIA_ROOT/datasets/<kind>/<batch id>.parquet."""
    path = dataset_dir() / kind.code / f"{batch.pk}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def record_dataset(
    kind: DatasetKind,
    batch: Any,
    path: Path,
    *,
    rows: int,
    period: tuple[dt.date | None, dt.date | None],
    announce: bool = True,
) -> tuple[DepartmentDataset, int]:
    """Record the delivery whose Parquet is at `path` (inside the caller's transaction): the DepartmentDataset,
    its lineage (`match_and_link`) and counts, the change log. Returns (dataset, matched rows).

    `announce=False` bulk-creates the dataset so no post_save reaches the screening (a bulk load such as
    `fangpin synth` screens once afterwards, not once per delivery)."""
    fields = {
        "kind": kind.code,
        "department": kind.department,
        "period_start": period[0],
        "period_end": period[1],
        "batch": batch,
        "row_count": rows,
        "parquet": str(path.relative_to(settings.MEDIA_ROOT)),
    }
    try:
        if announce:
            dataset = DepartmentDataset.objects.create(**fields)
        else:
            (dataset,) = DepartmentDataset.objects.bulk_create([DepartmentDataset(**fields)])
            log_bulk(DepartmentDataset, "bulk_create", 1, description=f"{kind.name}（批次 {batch.pk}）")
        matched, sources = match_and_link(dataset, kind, path)
        dataset.matched_count = matched
        dataset.unmatched_count = rows - matched
        dataset.save(update_fields=["matched_count", "unmatched_count"])
    except BaseException:
        # The transaction rolls back; the file must not outlive the rows that point at it.
        path.unlink(missing_ok=True)
        raise
    log_bulk(
        PersonSource,
        "bulk_create",  # match_and_link inserts the lineage rows in bulk
        sources,
        description=f"{kind.name}（批次 {batch.pk}）数据来源 × {sources}",
    )
    return dataset, matched


def _flush(writer: pq.ParquetWriter, schema: pa.Schema, buffers: dict[str, list]) -> None:
    arrays = [
        pa.array(buffers[f.name], type=pa.string()).cast(f.type)
        if pa.types.is_decimal(f.type)
        else pa.array(buffers[f.name], type=f.type)
        for f in schema
    ]
    writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    for values in buffers.values():
        values.clear()


def _text_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def match_and_link(dataset: DepartmentDataset, kind: DatasetKind, path: Path) -> tuple[int, int]:
    """Count the rows whose ID number is registered and write one PersonSource per matched person: the row
    count and the most recent row (by the kind's current date, then file order). Returns (matched rows,
    lineage rows written).

    Memory is bounded by the distinct ID numbers of the file and three Arrow columns of its matched rows: the
    Parquet is read one batch at a time, the "latest row per person" is an Arrow group-by, and the chosen rows
    are read back in a second pass and streamed into the insert.
    """
    from fangpin.registry.models import Person

    source = pq.ParquetFile(path)
    id_col, date_col = kind.id_column, kind.current_date_column
    distinct: set[str] = set()
    for batch in source.iter_batches(columns=[id_col]):
        distinct.update(batch.column(0).unique().to_pylist())
    pending = sorted(distinct)
    del distinct
    numbers: list[str] = []
    pks: list[int] = []
    for start in range(0, len(pending), MATCH_CHUNK):
        for number, pk in Person.objects.filter(
            id_number__in=pending[start : start + MATCH_CHUNK]
        ).values_list("id_number", "pk"):
            numbers.append(number)
            pks.append(pk)
    del pending
    if not numbers:
        return 0, 0
    registered = pa.array(numbers, type=pa.string())
    person_ids = pa.array(pks, type=pa.int64())
    del numbers, pks

    parts = []
    for batch in source.iter_batches(columns=[id_col, date_col, "source_line"]):
        parts.append(batch.filter(pc.is_in(batch.column(0), value_set=registered)))
    hits = pa.Table.from_batches(parts, schema=parts[0].schema)
    del parts
    matched = hits.num_rows
    latest = (
        hits.sort_by([(date_col, "ascending"), ("source_line", "ascending")])
        .group_by(id_col, use_threads=False)  # ordered, so "last" is the latest row
        .aggregate([("source_line", "last"), ("source_line", "count")])
        .sort_by("source_line_last")
    )
    del hits
    chosen = latest.column("source_line_last").combine_chunks()
    counts = latest.column("source_line_count").to_pylist()
    keep = kind.key_fields

    def lineage():
        # Pass 2: the chosen rows come back in file order, the order `latest` is sorted in.
        position = 0
        for batch in source.iter_batches():
            rows = batch.filter(pc.is_in(batch.column("source_line"), value_set=chosen))
            if not rows.num_rows:
                continue
            owners = pc.take(person_ids, pc.index_in(rows.column(id_col), value_set=registered)).to_pylist()
            for owner, record in zip(owners, rows.to_pylist(), strict=True):
                yield {
                    "person_id": owner,
                    "dataset_id": dataset.pk,
                    "current_date": record[date_col],
                    "record_count": counts[position],
                    "line": record["source_line"],
                    "fields": json.dumps({k: _text_value(record[k]) for k in keep}, ensure_ascii=False),
                }
                position += 1

    written = insert_rows(PersonSource, lineage())
    return matched, written


def _make_importer(kind: DatasetKind) -> type[DatasetImporter]:
    name = "".join(part.title() for part in kind.code.split("_")) + "Importer"
    return type(
        name,
        (DatasetImporter,),
        {
            "kind": kind.import_kind,
            "label": kind.name,
            "columns": kind.spreadsheet_columns,
            "dataset_kind": kind,
            "department": kind.department,
            "__doc__": f"{kind.department_label}：{kind.name}",
            "__module__": __name__,
        },
    )


IMPORTERS: dict[str, type[DatasetImporter]] = {k.code: register(_make_importer(k)) for k in KINDS}
