"""Clues coming in: from the comparison hits (with their evidence and sources) or entered by hand, numbered from
the year's counter, opened in the pool of their county."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from fangpin.core import changelog
from fangpin.core.models import Counter, StatusChange
from fangpin.geo.models import Region
from fangpin.monitoring.models import Warning
from fangpin.supervision.choices import ClueSource
from fangpin.supervision.models import Clue
from fangpin.supervision.services.clues.access import _require, county_of


def next_number() -> str:
    """线索编号: XS, the year, and the year's next serial (a counter taken in the caller's transaction)."""
    year = timezone.localdate().year
    return f"XS{year}{Counter.next_value(f'clue:{year}'):07d}"


def _opened(clue: Clue, user, comment: str = "") -> None:
    StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(Clue),
        object_id=clue.pk,
        field="status",
        transition="open",
        from_status="",
        to_status=clue.status,
        user=user,
        comment=comment,
    )


@dataclass
class Generated:
    created: list[Clue] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def clues_from_warnings(warnings: Iterable[Warning], *, user) -> Generated:
    """Turn comparison hits (warnings that produce a clue) into clues with their evidence and sources, one per
    warning, in the pool of the household's county (待交办). A warning already turned into a clue is skipped."""
    _require(user, "supervision.supervise_clue", "生成问题线索")
    ids = {w.pk for w in warnings}
    visible = list(
        Warning.objects.visible_to(user).filter(pk__in=ids).select_related("household__region", "person")
    )
    if len(visible) != len(ids):
        raise Http404("未找到部分比对结果")
    result = Generated()
    taken = set(Clue.objects.filter(warning__in=visible).values_list("warning_id", flat=True))
    for warning in visible:
        if warning.produces != Warning.Produces.CLUE:
            result.skipped.append(f"{warning.rule_code} {warning.rule_title}：不是问题线索类比对结果")
            continue
        if warning.pk in taken:
            result.skipped.append(f"{warning.rule_code} {warning.rule_title}：已生成问题线索")
            continue
        household = warning.household
        with transaction.atomic(), changelog.acting(user):
            clue = Clue.objects.create(
                number=next_number(),
                source=ClueSource.COMPARISON,
                rule_code=warning.rule_code,
                warning=warning,
                household=household,
                person=warning.person,
                region=household.region,
                assigned_region=county_of(household.region),
                title=warning.rule_title,
                description=warning.explanation,
                evidence=warning.evidence,
                sources=_sources(warning),
                stage_entered_at=timezone.now(),
                created_by=user,
            )
            _opened(clue, user, f"由比对规则 {warning.rule_code} 生成")
        result.created.append(clue)
    return result


def _sources(warning: Warning) -> str:
    """The distinct data sources a hit's inputs came from (registry fields and department datasets)."""
    inputs = (warning.evidence or {}).get("inputs", [])
    return "；".join(dict.fromkeys(i.get("source", "") for i in inputs if i.get("source")))[:300]


def create_clue(
    *,
    user,
    source: str,
    region: Region,
    title: str,
    description: str,
    household=None,
    person=None,
    amount_involved: Decimal = Decimal(0),
) -> Clue:
    """A clue entered by hand (unannounced visit, hotline, audit, inspection), in the pool of its county."""
    _require(user, "supervision.supervise_clue", "登记问题线索")
    if source == ClueSource.COMPARISON or source not in ClueSource.values:
        raise ValidationError({"source": "请选择线索来源（大数据比对线索由比对结果生成）"})
    if not Region.objects.visible_to(user).filter(pk=region.pk).exists():
        raise ValidationError({"region": "问题所在地不在您的管辖范围内"})
    if household is not None and household.region_id != region.pk:
        raise ValidationError({"household": "涉及户不在问题所在地"})
    if person is not None and (household is None or person.household_id != household.pk):
        raise ValidationError({"person": "涉及人员不属于涉及户"})
    clue = Clue(
        number="",
        source=source,
        region=region,
        assigned_region=county_of(region),
        household=household,
        person=person,
        title=title,
        description=description,
        amount_involved=amount_involved,
        stage_entered_at=timezone.now(),
        created_by=user,
    )
    clue.full_clean(exclude=["number", "warning", "batch"])
    with transaction.atomic(), changelog.acting(user):
        clue.number = next_number()  # taken only if the clue is written
        clue.save()
        _opened(clue, user, "人工登记")
    return clue
