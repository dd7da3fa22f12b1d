"""Clue numbers (线索编号): XS, the year, the year's serial from a counter taken in the clue's own transaction —
in order, restarting each year, never given twice (also under a real race), not used up by a refused clue, and
written once: the change log's creation entry carries the number as created, never rewritten."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from fangpin.core.models import Counter, ObjectChange
from fangpin.monitoring.tests.test_case_concurrency import POSTGRESQL_ONLY, _race
from fangpin.supervision.models import Clue
from fangpin.supervision.services import clues
from fangpin.supervision.tests.test_clue_path import comparison_hit


def hand_entered(cast, tree, title="举报"):
    return clues.create_clue(
        user=cast["supervisor"], source="hotline", region=tree.village_a, title=title, description="群众举报"
    )


def test_numbers_follow_the_years_counter_and_restart_each_year(cast, tree, households):
    with time_machine.travel(dt.datetime(2026, 12, 31, 10, tzinfo=dt.UTC), tick=False):
        first = hand_entered(cast, tree)
        second = clues.clues_from_warnings(
            [comparison_hit(households["a"])], user=cast["supervisor"]
        ).created[0]
    with time_machine.travel(dt.datetime(2027, 1, 2, 10, tzinfo=dt.UTC), tick=False):
        third = hand_entered(cast, tree)
    assert [first.number, second.number, third.number] == ["XS20260000001", "XS20260000002", "XS20270000001"]
    assert Clue.objects.get(pk=second.pk).number == "XS20260000002"


def test_a_refused_clue_uses_up_no_number(cast, tree):
    with pytest.raises(ValidationError):
        clues.create_clue(user=cast["supervisor"], source="comparison", region=tree.village_a, title="x",
                          description="x")  # fmt: skip
    with pytest.raises(ValidationError):
        clues.create_clue(user=cast["supervisor"], source="hotline", region=tree.village_a, title="",
                          description="x")  # fmt: skip
    year = dt.date.today().year
    assert hand_entered(cast, tree).number == f"XS{year}0000001"


def test_the_creation_entry_carries_the_number_as_written(cast, tree):
    clue = hand_entered(cast, tree)
    entry = ObjectChange.objects.get(
        content_type=ContentType.objects.get_for_model(Clue), object_id=clue.pk, action="create"
    )
    assert entry.after["number"] == clue.number and clue.number in entry.object_repr


def test_the_migration_starts_each_years_counter_after_the_numbers_given(cast, tree):
    made = [hand_entered(cast, tree, title=f"举报{i}") for i in range(3)]
    Clue.objects.filter(pk=made[0].pk).update(number="XS20250000041")  # numbers given before the counters
    Clue.objects.filter(pk=made[1].pk).update(number="XS20260000107")
    Counter.objects.all().delete()
    migration = importlib.import_module("fangpin.supervision.migrations.0003_clue_number_counters")
    migration.start_counters(apps, None)
    assert Counter.objects.get(name="clue:2025").value == 41
    assert Counter.objects.get(name="clue:2026").value == 107
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), tick=False):
        assert hand_entered(cast, tree).number == "XS20260000108"


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_at_once_get_two_numbers_on_postgresql(cast, tree):
    results = _race([lambda: hand_entered(cast, tree, "甲"), lambda: hand_entered(cast, tree, "乙")])
    assert all(isinstance(r, Clue) for r in results), results
    assert len({r.number for r in results}) == 2
