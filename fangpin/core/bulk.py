"""Fast inserts of plain rows for data loads (synthetic data, imports), written once.

`bulk_create` prepares every value of every field through the ORM, about 10 µs each; a million-person load
spends most of its time there. `insert_rows` builds the INSERT from the model's metadata, adapts only the
types the backend cannot take as they are (dates, datetimes, decimals) with the backend's own `ops`, and hands
batches to `executemany`. It sends no signals: callers record the write with `changelog.log_bulk()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, models
from django.utils import timezone


def insert_rows(
    model: type[models.Model],
    rows: Iterable[dict[str, Any]],
    *,
    using: str = "default",
    batch_size: int = 5000,
) -> int:
    """Insert `rows` (dicts keyed by field attname, e.g. "household_id") into `model`'s table; return the count.

    Missing keys take the field's default; auto_now / auto_now_add fields take the current time.
    """
    connection = connections[using]
    ops = connection.ops
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    plan = []
    for f in fields:
        if isinstance(f, models.DateTimeField):
            adapt = ops.adapt_datetimefield_value
        elif isinstance(f, models.DateField):
            adapt = ops.adapt_datefield_value
        elif isinstance(f, models.DecimalField):
            adapt = ops.adapt_decimalfield_value
        else:
            adapt = None
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        elif f.has_default():
            default = f.get_default()
        else:
            default = None
        plan.append((f.attname, adapt, default))
    quote = ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names come from model metadata
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )

    def values(row: dict[str, Any]) -> tuple:
        out = []
        for attname, adapt, default in plan:
            value = row.get(attname, default)
            out.append(adapt(value) if adapt is not None and value is not None else value)
        return tuple(out)

    if connection.vendor == "postgresql":
        # COPY is several times faster than executemany for bulk loads on PostgreSQL.
        copy_sql = "COPY {} ({}) FROM STDIN".format(
            quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        )
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(values(row))
                count += 1
        return count

    count = 0
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(values(row))
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
