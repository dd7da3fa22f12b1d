"""`fangpin escalate-clues [--date D]`: the nightly overdue job escalates a clue the day after its deadline (not
on the deadline day), prints the count in Chinese, runs under its own change-log source, refuses a bad date."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from fangpin.cli import main
from fangpin.core import changelog
from fangpin.core.models import StatusChange
from fangpin.supervision.models import Clue
from fangpin.supervision.services import clues
from fangpin.supervision.tests.test_clue_lifecycle import S, at, make_people

DAY0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(cast, tree):
    return make_people(cast, tree)


def run(*args) -> str:
    out = io.StringIO()
    call_command("escalate_clues", *args, stdout=out)
    return out.getvalue()


def test_escalates_on_the_day_after_the_deadline(people, tree, households):
    with time_machine.travel(DAY0, tick=False) as clock:
        clue = at(S.RECTIFYING, people, tree, households["a"])
        waiting = at(S.RECTIFIED, people, tree, households["b"])  # rectified: no longer held to the deadline
        deadline = clue.deadline
        assert run("--date", deadline.isoformat()) == f"{deadline:%Y-%m-%d}：没有逾期问题线索\n"
        assert Clue.objects.get(pk=clue.pk).status == S.RECTIFYING

        clock.move_to(dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(1)))
        out = run()  # the date defaults to today
        assert out == f"{deadline + dt.timedelta(days=1):%Y-%m-%d}：已督办 1 条逾期问题线索\n"
    fresh = Clue.objects.get(pk=clue.pk)
    assert fresh.status == S.ESCALATED and fresh.escalated_from == S.RECTIFYING
    assert "超过整改时限" in fresh.escalation_reason
    last = StatusChange.objects.filter(object_id=clue.pk, content_type__model="clue").last()
    assert (last.transition, last.user) == ("escalate", None)
    assert Clue.objects.get(pk=waiting.pk).status == S.RECTIFIED
    assert "没有逾期问题线索" in run("--date", (deadline + dt.timedelta(days=5)).isoformat())  # once only


def test_runs_under_the_commands_change_context(people, tree, households, monkeypatch):
    seen = []
    monkeypatch.setattr(
        clues,
        "escalate_overdue",
        lambda day, **kw: seen.append((day, changelog.current_context().source)) or 0,
    )
    run("--date", "2026-05-01")
    assert seen == [(dt.date(2026, 5, 1), "command:escalate-clues")]


def test_the_console_name_and_a_bad_date(people, tree, households, capsys):
    with time_machine.travel(DAY0, tick=False):
        clue = at(S.ASSIGNED, people, tree, households["a"])
    main(["fangpin", "escalate-clues", "--date", (clue.deadline + dt.timedelta(days=1)).isoformat()])
    assert "已督办 1 条" in capsys.readouterr().out
    with pytest.raises(CommandError, match="不是有效日期"):
        run("--date", "2026-02-30")
