"""The datasets 教育 delivers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangpin.exchange.synthetic.planting import _Planting
from fangpin.exchange.synthetic.registry import (
    GRADES,
    HIGHER_STATUSES,
    SCHOOL_STAGES,
    SCHOOLS,
    STATUS_STAGES,
    _days,
)
from fangpin.exchange.synthetic.rows import _bernoulli, _choose, _Part, _pick


class _Education(_Planting):
    """Enrolment, dropouts and student aid."""

    # -- 教育

    def school_enrolment(self, rng) -> list[_Part]:
        r = self.registry
        a = r.as_of
        present = self.free(self.not_enrolled, self.dropouts)
        pupils = np.flatnonzero(
            r.compulsory & ~r.disabled & present
            | r.compulsory & r.disabled & (rng.random(r.n) < 0.5)
            | ~r.compulsory & r.aged(16, 17) & (rng.random(r.n) < 0.88)  # the rest left after 初中
        )
        age = np.clip(r.age[pupils], 6, 17)
        stage = np.select([age <= 11, age <= 15], [0, 1], 2)  # 小学, 初中, 高中 (中职 below)
        stage = np.where((stage == 2) & (rng.random(pupils.size) < 0.25), 3, stage)
        year = np.select([age <= 11, age <= 14, age == 15], [age - 5, age - 11, 3], age - 15)
        september = a.year if a >= dt.date(a.year, 9, 1) else a.year - 1
        first_day = np.array([_days(dt.date(september - k, 9, 1)) for k in range(6)])
        parts = [
            _Part(
                pupils,
                {
                    "school": SCHOOLS.take(pa.array(stage)),
                    "stage": SCHOOL_STAGES.take(pa.array(stage)),
                    "grade": GRADES.take(pa.array(stage * 6 + year - 1)),
                    "status": "在读",
                    "enrolled_on": first_day[year - 1],
                },
            )
        ]
        statuses = tuple(STATUS_STAGES)
        higher = np.flatnonzero(
            np.isin(r.student, [statuses.index(s) for s in HIGHER_STATUSES]) & (r.age >= 18)
        )
        parts.append(
            _Part(
                higher,
                {
                    "school": _pick(
                        rng, ("湖北科技学院", "咸宁职业技术学院", "武汉职业技术学院"), higher.size
                    ),
                    "stage": pa.array(list(STATUS_STAGES.values())).take(pa.array(r.student[higher])),
                    "status": "在读",
                    "enrolled_on": np.full(higher.size, first_day[0]),
                },
            )
        )
        # Dropouts are suspended; half the missing children show as transferred out, the rest not at all.
        moved = self.not_enrolled[rng.random(self.not_enrolled.size) < 0.5]
        for people, status in ((self.dropouts, "休学"), (moved, "转学")):
            parts.append(
                _Part(
                    people,
                    {
                        "school": "镇初级中学",
                        "stage": "初中",
                        "status": status,
                        "enrolled_on": np.full(people.size, first_day[1]),
                    },
                )
            )
        out = self.outsiders(rng, 0.02, 6, 17)
        parts.append(
            _Part(
                out,
                {
                    "school": "市实验学校",
                    "stage": _pick(rng, ("小学", "初中", "高中"), out.size, (5, 3, 2)),
                    "status": "在读",
                    "enrolled_on": np.full(out.size, first_day[0]),
                },
                True,
            )
        )
        return parts

    def school_dropout(self, rng) -> list[_Part]:
        r = self.registry
        reasons = ("厌学", "外出务工", "家庭困难", "身体原因", "随父母外出")
        gone = self.dropouts
        back = _choose(
            rng,
            r.compulsory & ~r.disabled & self.free(self.dropouts, self.not_enrolled),
            3 * max(1, gone.size),
        )
        older = _choose(rng, ~r.compulsory & r.aged(16, 17), max(1, gone.size))
        out = self.pool.sample(rng, 5 * max(1, gone.size), 6, 16)

        def part(people, returned, outside=False):
            return _Part(
                people,
                {
                    "school": "镇初级中学",
                    "stage": _pick(rng, ("小学", "初中"), people.size, (2, 8)),
                    "dropout_on": self.within_year(rng, people.size),
                    "reason": _pick(rng, reasons, people.size),
                    "returned": returned
                    if isinstance(returned, str)
                    else pc.if_else(
                        pa.array(rng.random(people.size) < 0.7), pa.scalar("否"), pa.scalar(None, pa.string())
                    ),
                },
                outside,
            )

        return [part(gone, None), part(back, "是"), part(older, "否"), part(out, "否", outside=True)]

    def student_aid(self, rng) -> list[_Part]:
        r = self.registry
        aided = np.flatnonzero(r.exited & r.aid_student & self.free(self.no_aid))
        aided = np.concatenate([aided, aided[rng.random(aided.size) < 0.5]])  # two semesters for half
        ordinary = _bernoulli(rng, ~r.exited & r.aid_student, 0.15)
        stale = self.no_aid[rng.random(self.no_aid.size) < 0.5]
        out = self.outsiders(rng, 0.015, 6, 22)
        stages = pa.array(list(STATUS_STAGES.values()))
        programmes = {
            "小学": ("义务教育家庭经济困难学生生活补助", 500),
            "初中": ("义务教育家庭经济困难学生生活补助", 625),
            "高中": ("普通高中国家助学金", 1000),
            "中职": ("中职国家助学金", 1000),
            "高职": ("雨露计划", 1500),
            "本科": ("国家助学金", 1650),
            "研究生": ("国家助学金", 3000),
        }
        names = pa.array([v[0] for v in programmes.values()])
        amounts = np.array([v[1] for v in programmes.values()], dtype=float)
        position = {s: i for i, s in enumerate(programmes)}
        stage_index = np.array([position[s] for s in STATUS_STAGES.values()])

        def part(people, dates, outside=False):
            if outside:
                code = rng.integers(0, len(programmes) - 1, people.size)
                stage = pa.array(list(programmes)).take(pa.array(code))
            else:
                stage = stages.take(pa.array(r.student[people]))
                code = stage_index[r.student[people]]
            return _Part(
                people,
                {
                    "school": _pick(
                        rng, ("镇中心小学", "镇初级中学", "县第一高级中学", "县职业教育中心"), people.size
                    ),
                    "stage": stage,
                    "programme": names.take(pa.array(code)),
                    "amount": amounts[code],
                    "paid_on": dates,
                },
                outside,
            )

        return [
            part(aided, self.within_year(rng, aided.size)),
            part(ordinary, self.within_year(rng, ordinary.size)),
            part(stale, self.before_window(rng, stale.size)),
            part(out, self.within_year(rng, out.size), outside=True),
        ]
