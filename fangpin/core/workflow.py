"""Workflow transitions, written once: a declared table of transitions, a permission per step, guards for the
invariants, a conditional UPDATE so two officials acting at once cannot both win, and a StatusChange per step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from fangpin.core import changelog


class TransitionRefused(ValidationError):
    """The step is not allowed now: wrong state or a broken invariant."""


class ConcurrentChange(TransitionRefused):
    """Someone else changed the object first (the API answers 409)."""


@dataclass(frozen=True)
class Transition:
    """One step of a workflow. A guard returns a Chinese reason to refuse, or None to allow."""

    name: str
    label: str
    source: tuple[str, ...]
    target: str
    permission: str | None = None
    guards: tuple[Callable[[Any, Any], str | None], ...] = ()
    comment_required: bool = False


@dataclass
class Workflow:
    """A model's declared transition table."""

    transitions: Iterable[Transition]
    field: str = "status"
    by_name: dict[str, Transition] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {t.name: t for t in self.transitions}

    def available(self, obj: Any, user: Any) -> list[Transition]:
        """The steps `user` could take on `obj` now (used to draw the buttons)."""
        state = getattr(obj, self.field)
        return [
            t
            for t in self.by_name.values()
            if state in t.source and (t.permission is None or user.has_perm(t.permission))
        ]

    def apply(
        self,
        obj: models.Model,
        name: str,
        *,
        user: Any,
        comment: str = "",
        changes: dict[str, Any] | None = None,
        clean: Callable[[Any], None] | None = None,
        expect: dict[str, Any] | None = None,
    ) -> models.Model:
        """Take step `name` on `obj`, or raise TransitionRefused / PermissionDenied and change nothing.

        `changes` are fields the step records (a date, minutes …): guards and `clean` see them, and they are
        written by the same conditional UPDATE as the new state, so the step logs one change. `expect` adds
        fields that must still hold their loaded values (e.g. `updated_at`), for a step that keeps the state
        and so could not otherwise tell that someone else wrote first. On refusal `obj` is left as it was.
        """
        from fangpin.core.models import StatusChange

        t = self.by_name[name]
        changes = dict(changes or {})
        model = type(obj)
        before = changelog.serialize(obj)
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False):
                changes[f.attname] = timezone.now()
        kept = {key: getattr(obj, key) for key in [*changes, self.field]}
        for key, value in changes.items():
            setattr(obj, key, value)
        try:
            if t.permission and not user.has_perm(t.permission):
                raise PermissionDenied(f"您没有权限执行“{t.label}”")
            current = getattr(obj, self.field)
            if current not in t.source:
                raise TransitionRefused(
                    f"当前状态为“{_label(obj, self.field, current)}”，不能执行“{t.label}”"
                )
            if t.comment_required and not comment.strip():
                raise TransitionRefused(f"执行“{t.label}”必须填写意见或原因")
            if clean is not None:
                clean(obj)
            for guard in t.guards:
                reason = guard(obj, user)
                if reason:
                    raise TransitionRefused(reason)
            with transaction.atomic(), changelog.acting(user):
                updated = model._base_manager.filter(
                    pk=obj.pk, **{self.field: current}, **(expect or {})
                ).update(**{self.field: t.target}, **changes)
                if updated == 0:
                    raise ConcurrentChange("该记录已被他人修改，请刷新页面后重试")
                setattr(obj, self.field, t.target)
                StatusChange.objects.create(
                    content_type=ContentType.objects.get_for_model(model),
                    object_id=obj.pk,
                    field=self.field,
                    transition=t.name,
                    from_status=current,
                    to_status=t.target,
                    user=user if getattr(user, "is_authenticated", False) else None,
                    comment=comment,
                )
                changelog.write_change(obj, "update", before, changelog.serialize(obj))
        except Exception as exc:
            for key, value in kept.items():
                setattr(obj, key, value)
            if isinstance(exc, ConcurrentChange):  # show what the other official did, on a reload
                obj.refresh_from_db(fields=[self.field])
            raise
        return obj


def _label(obj: Any, field_name: str, value: str) -> str:
    f = obj._meta.get_field(field_name)
    return dict(f.flatchoices).get(value, value) if f.choices else value


def status_history(obj: models.Model) -> models.QuerySet:
    from fangpin.core.models import StatusChange

    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).select_related("user")
