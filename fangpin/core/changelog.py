"""The change log, written once: a request- or job-scoped context says who and why; signals write the rows.

Web and API requests get their context from ChangeContextMiddleware. Commands, imports and jobs wrap their
work in `change_context(source="command:synth")`. Bulk writes (which send no signals) call `log_bulk()`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save


@dataclass
class ChangeContext:
    """Who is changing things, from where, and under which request or batch id."""

    source: str
    user: Any = None
    request: Any = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    reason: str = ""

    def acting_user(self):
        # DRF authenticates tokens inside the view and then sets request.user, so read it at write time.
        user = self.user if self.user is not None else getattr(self.request, "user", None)
        return user if getattr(user, "is_authenticated", False) else None


_current: ContextVar[ChangeContext | None] = ContextVar("fangpin_change_context", default=None)


def current_context() -> ChangeContext:
    return _current.get() or ChangeContext(source="system")


@contextlib.contextmanager
def change_context(
    source: str, *, user: Any = None, request: Any = None, reason: str = ""
) -> Iterator[ChangeContext]:
    """Attribute every change made inside the block to `source` (and `user`, if given)."""
    ctx = ChangeContext(source=source, user=user, request=request, reason=reason)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextlib.contextmanager
def acting(user: Any) -> Iterator[ChangeContext]:
    """Name `user` as the actor for changes made inside the block, keeping the current source and request id.

    Services take the acting user as an argument; this makes their log entries name that user even when they
    run from a shell, a command or a job, where no request carries one.
    """
    outer = current_context()
    ctx = ChangeContext(
        source=outer.source,
        user=user,
        request=outer.request,
        request_id=outer.request_id,
        reason=outer.reason,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


class ChangeLoggedModel(models.Model):
    """Mixin: every save and delete of a subclass writes an ObjectChange.

    `changelog_exclude` names fields that are bookkeeping, not content. `changelog_parent()` names the object
    on whose timeline the change should appear (default: the object itself).
    """

    changelog_exclude: tuple[str, ...] = ("created_at", "updated_at")

    class Meta:
        abstract = True

    def changelog_parent(self) -> models.Model | None:
        return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def serialize(instance: models.Model) -> dict[str, Any]:
    """The logged values of an instance: concrete fields, foreign keys as ids, JSON-safe."""
    data = {}
    for f in instance._meta.concrete_fields:
        if f.primary_key or f.name in type(instance).changelog_exclude:
            continue
        data[f.name] = _jsonable(getattr(instance, f.attname))
    return data


def _snapshot_before(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None or instance._state.adding:
        instance._changelog_before = None
        return
    names = [f.attname for f in instance._meta.concrete_fields]
    row = sender._base_manager.filter(pk=instance.pk).values(*names).first()
    if row is None:
        instance._changelog_before = None
        return
    shadow = sender(**row)
    instance._changelog_before = serialize(shadow)


def write_change(instance, action: str, before: dict | None, after: dict | None) -> None:
    from fangpin.core.models import ObjectChange

    ctx = current_context()
    user = ctx.acting_user()
    parent = instance.changelog_parent() or instance
    ObjectChange.objects.create(
        user=user,
        username=getattr(user, "username", "") or "",
        request_id=ctx.request_id,
        source=ctx.source,
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        related_type=ContentType.objects.get_for_model(type(parent)),
        related_id=parent.pk,
        before=before,
        after=after,
        reason=ctx.reason,
    )


def _log_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    before = None if created else getattr(instance, "_changelog_before", None)
    after = serialize(instance)
    if before is not None and before == after:
        return  # a save that changed nothing is not a change
    write_change(instance, "create" if created or before is None else "update", before, after)
    instance._changelog_before = after


def _log_delete(sender, instance, **kwargs) -> None:
    write_change(instance, "delete", serialize(instance), None)


def log_bulk(
    model: type[models.Model], action: str, count: int, *, description: str = "", ids: list | None = None
) -> None:
    """Record one bulk write (bulk_create / update() / delete()) that bypassed the per-object signals."""
    from fangpin.core.models import ObjectChange

    ctx = current_context()
    user = ctx.acting_user()
    ObjectChange.objects.create(
        user=user,
        username=getattr(user, "username", "") or "",
        request_id=ctx.request_id,
        source=ctx.source,
        action=action,
        content_type=ContentType.objects.get_for_model(model),
        object_repr=(description or f"{model._meta.verbose_name} × {count}")[:200],
        after={"count": count, **({"ids": ids} if ids is not None else {})},
        reason=ctx.reason,
    )


def connect_signals() -> None:
    from django.apps import apps

    for model in apps.get_models():
        if issubclass(model, ChangeLoggedModel):
            pre_save.connect(
                _snapshot_before, sender=model, dispatch_uid=f"changelog-pre-{model._meta.label}"
            )
            post_save.connect(_log_save, sender=model, dispatch_uid=f"changelog-post-{model._meta.label}")
            post_delete.connect(_log_delete, sender=model, dispatch_uid=f"changelog-del-{model._meta.label}")
