"""Reading department datasets: who sees which, and the lineage of a household's members.

Visibility rule: a department user (one with `department` set) sees the datasets and dataset batches of their
own department within their region's subtree; every other official (city, county, township, supervisor,
leader) sees all departments' datasets within their subtree. Region scope is the uploader's region, so a
county-level delivery is seen by that county's and the city's officials, not by township or village users.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fangpin.core.importing import batches_visible_to
from fangpin.core.models import ImportBatch
from fangpin.exchange.catalogue import BY_CODE
from fangpin.exchange.models import DepartmentDataset, PersonSource


def datasets_visible_to(user: Any) -> QuerySet[DepartmentDataset]:
    """The datasets `user` may list: in region scope, and only their own department's if they have one."""
    qs = DepartmentDataset.objects.visible_to(user)
    department = getattr(user, "department", "")
    if department and not getattr(user, "is_superuser", False):
        qs = qs.filter(department=department)
    return qs


def dataset_batches_visible_to(user: Any) -> QuerySet[ImportBatch]:
    """The import batches of dataset kinds `user` may list (same rule as `datasets_visible_to`); batches of
    other import kinds are left out."""
    return batches_visible_to(user).filter(kind__startswith="dataset:")


def _source_entry(source: PersonSource) -> dict[str, Any]:
    dataset = source.dataset
    kind = BY_CODE.get(dataset.kind)
    headers = {c.field: c.header for c in kind.columns} if kind else {}
    fields = [
        (headers.get(name, name), value) for name, value in source.fields.items() if value not in (None, "")
    ]
    return {
        "dataset": dataset,
        "department": dataset.get_department_display(),
        "kind": kind.name if kind else dataset.kind,
        "current_date": source.current_date,
        "record_count": source.record_count,
        "line": source.line,
        "fields": fields,
    }


def person_sources(person: Any, user: Any = None) -> list[dict[str, Any]]:
    """The department records that mention one person, newest first (same entries as `household_sources`)."""
    return _sources(PersonSource.objects.filter(person=person), user).get(person.pk, [])


def household_sources(household: Any, user: Any = None) -> list[dict[str, Any]]:
    """The "数据来源" panel of a household: for each member, the department datasets that mention them.

    Returns `[{"person": Person, "sources": [entry, ...]}, ...]` in member order, members without records
    included with an empty list. Each entry is a dict: `dataset` (DepartmentDataset), `department` (label, e.g.
    "医保"), `kind` (e.g. "医保结算信息"), `current_date` (date of the most recent record), `record_count`
    (rows in that dataset about the person), `line` (row of that record in the uploaded file) and `fields`
    (list of (Chinese header, value as text) of that record). Entries are newest first.

    The caller has already checked the household is in the viewer's scope. With `user` given, a department
    user sees only their own department's sources (the dataset visibility rule); without, all are returned.
    """
    members = list(household.members.order_by("pk"))
    by_person = _sources(PersonSource.objects.filter(person__in=members), user)
    return [{"person": p, "sources": by_person.get(p.pk, [])} for p in members]


def _sources(qs: QuerySet[PersonSource], user: Any) -> dict[int, list[dict[str, Any]]]:
    # Only the department rule applies here, not the region rule of datasets_visible_to: callers pass members
    # of a household already found through visible_to(user), and a village cadre should see which department
    # records mention their villagers even when the delivery was made at county level.
    department = getattr(user, "department", "") if user is not None else ""
    if department and not getattr(user, "is_superuser", False):
        qs = qs.filter(dataset__department=department)
    out: dict[int, list[dict[str, Any]]] = {}
    for source in qs.select_related("dataset").order_by("-current_date", "-dataset_id"):
        out.setdefault(source.person_id, []).append(_source_entry(source))
    return out


def latest_source(person: Any, dataset_kind: str) -> dict[str, Any] | None:
    """The most recent record of one kind about a person (e.g. for a field's "来源" tooltip), or None."""
    for entry in person_sources(person):
        if entry["dataset"].kind == dataset_kind:
            return entry
    return None


__all__ = [
    "dataset_batches_visible_to",
    "datasets_visible_to",
    "household_sources",
    "latest_source",
    "person_sources",
]


def sources_panel(household, user) -> dict | None:
    """The household page's 数据来源 panel: which department records mention each member (scoped like the
    datasets themselves: a department user sees only their own department's)."""
    members = household_sources(household, user)
    if not any(m["sources"] for m in members):
        return None
    return {
        "title": "数据来源",
        "template": "exchange/household_sources.html",
        "context": {"members": members},
    }
