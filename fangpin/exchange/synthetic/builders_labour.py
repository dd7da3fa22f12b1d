"""The datasets 市场监管, 人社 and 组织部 deliver."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fangpin.exchange.synthetic.planting import _Planting
from fangpin.exchange.synthetic.registry import CADRE_RELATION, RELATIONS
from fangpin.exchange.synthetic.rows import _bernoulli, _companies, _credit_codes, _Part, _pick


class _Labour(_Planting):
    """Companies, public payroll, employment, pensions and village cadres."""

    # -- 市场监管, 人社, 组织部

    def company_registration(self, rng) -> list[_Part]:
        r = self.registry
        floor = float(self.params["company_min_capital"])
        ordinary = _bernoulli(rng, ~r.exited & r.aged(22, 65), 0.03)
        exited = _bernoulli(rng, r.exited & r.aged(22, 65) & self.free(self.company), 0.03)
        out = self.outsiders(rng, 0.02, 22, 70)
        owners = ("法定代表人", "股东")

        def part(people, roles, role_weights, capital, status, outside=False):
            size = people.size
            shares = rng.uniform(0.3, 1.0, size)
            return _Part(
                people,
                {
                    "company": _companies(rng, size),
                    "credit_code": _credit_codes(rng, size),
                    "role": _pick(rng, roles, size, role_weights),
                    "registered_capital": capital,
                    "subscribed_capital": np.round(capital * shares, 2),
                    "status": status
                    if isinstance(status, str)
                    else _pick(rng, ("存续", "注销", "吊销"), size, status),
                    "established_on": self.ago(rng, size, 0, 5475),
                },
                outside,
            )

        def capital(size, low, high):
            return np.round(np.exp(rng.uniform(np.log(low), np.log(high), size)), 2)

        # Exited households run 个体工商户 or small or closed companies: none of it counts for BD-05.
        e = exited.size
        split = rng.choice(3, e, p=(0.7, 0.15, 0.15))
        return [
            part(
                ordinary,
                (*owners, "个体工商户经营者"),
                (4, 3, 3),
                capital(ordinary.size, 1, 2000),
                (85, 10, 5),
            ),
            part(
                exited[split == 0],
                ("个体工商户经营者",),
                None,
                capital(int((split == 0).sum()), 0.5, 50),
                (90, 8, 2),
            ),
            part(
                exited[split == 1], owners, None, capital(int((split == 1).sum()), 0.5, floor * 0.9), "存续"
            ),
            part(exited[split == 2], owners, None, capital(int((split == 2).sum()), floor, 500), (0, 60, 40)),
            part(self.company, owners, None, capital(self.company.size, floor * 1.5, floor * 30), "存续"),
            part(
                out,
                (*owners, "个体工商户经营者"),
                (4, 3, 3),
                capital(out.size, 1, 2000),
                (85, 10, 5),
                outside=True,
            ),
        ]

    def public_payroll(self, rng) -> list[_Part]:
        r = self.registry
        employers = (
            "县第一中学",
            "镇中心小学",
            "镇卫生院",
            "县人民医院",
            "县财政局",
            "镇人民政府",
            "县农业农村局",
        )
        kinds = ("公务员", "参公管理", "事业编制", "其他财政供养")
        staff = _bernoulli(rng, ~r.exited & r.aged(22, 59), 0.025)
        out = self.outsiders(rng, 0.02, 22, 59)

        def part(people, outside=False):
            return _Part(
                people,
                {
                    "employer": _pick(rng, employers, people.size),
                    "staff_type": _pick(rng, kinds, people.size, (25, 10, 55, 10)),
                    "monthly_salary": self.money(rng, people.size, 4000, 9000),
                    "hired_on": self.ago(rng, people.size, 0, 3650),
                },
                outside,
            )

        return [part(staff), part(self.payroll), part(out, outside=True)]

    def employment(self, rng) -> list[_Part]:
        r = self.registry
        places = {
            0: ("本乡镇",),
            1: ("本县城区", "本县工业园"),
            2: ("武汉市", "咸宁市", "黄石市"),
            3: ("广东省东莞市", "浙江省宁波市", "江苏省苏州市", "上海市", "福建省厦门市"),
            4: ("境外",),
        }
        worker = (r.work >= 0) & r.aged(16, 64)
        employed = _bernoulli(rng, worker & self.free(self.unemployed), 0.25)
        location = pa.nulls(employed.size, pa.string())
        for code, labels in places.items():
            here = pa.array(r.work[employed] == code)
            location = pc.if_else(here, _pick(rng, labels, employed.size), location)
        employer = r.employer.take(pa.array(employed))
        employer = pc.if_else(pc.equal(employer, ""), pa.scalar("灵活就业"), employer)
        posts = np.flatnonzero(r.post >= 0)
        earlier = _bernoulli(rng, worker & self.free(self.unemployed), 0.02)
        ended = _bernoulli(rng, worker & self.free(self.unemployed, earlier), 0.01)
        ended_start = self.ago(rng, ended.size, 20, int(self.params["unemployment_days"]) - 1)
        out = self.outsiders(rng, 0.03, 18, 60)
        window = int(self.params["unemployment_days"])
        return [
            _Part(
                employed,
                {
                    "status": "就业",
                    "employer": employer,
                    "location": location,
                    "monthly_income": self.money(rng, employed.size, 2500, 7000),
                    "start_date": self.within_year(rng, employed.size),
                },
            ),
            _Part(
                posts,
                {
                    "status": "公益性岗位",
                    "employer": "村（社区）公益性岗位",
                    "location": "本村",
                    "monthly_income": self.money(rng, posts.size, 500, 1000),
                    "start_date": self.within_year(rng, posts.size),
                },
            ),
            # Registered unemployed longer ago than the window, or re-employed since: not "newly unemployed".
            _Part(earlier, {"status": "失业", "start_date": self.ago(rng, earlier.size, window + 1, 364)}),
            _Part(
                ended,
                {
                    "status": "失业",
                    "start_date": ended_start,
                    "end_date": np.minimum(ended_start + 15, r.a - 1),
                },
            ),
            _Part(
                self.unemployed,
                {"status": "失业", "start_date": self.ago(rng, self.unemployed.size, 0, window - 1)},
            ),
            _Part(
                out,
                {
                    "status": _pick(rng, ("就业", "失业"), out.size, (9, 1)),
                    "monthly_income": self.money(rng, out.size, 2500, 7000),
                    "start_date": self.within_year(rng, out.size),
                },
                True,
            ),
        ]

    def pension(self, rng) -> list[_Part]:
        r = self.registry
        elderly = np.flatnonzero(r.elderly & self.free(self.no_pension))
        employee = r.employee_pension[elderly]
        turned = np.minimum(r.birth[elderly] + int(self.params["elderly_age"] * 365.25) + 1, r.a)
        scheme = pc.if_else(
            pa.array(employee), pa.scalar("城镇职工基本养老保险"), pa.scalar("城乡居民基本养老保险")
        )
        amount = np.where(
            employee, rng.uniform(2500, 4500, elderly.size), rng.uniform(130, 300, elderly.size)
        )
        missing = self.no_pension
        paused = missing[rng.random(missing.size) < 0.5]
        payers = _bernoulli(rng, r.aged(30, 58), 0.02)
        out = self.outsiders(rng, 0.03, 60, 95)
        return [
            _Part(
                elderly,
                {
                    "scheme": scheme,
                    "status": "领取待遇",
                    "monthly_pension": np.round(amount),
                    "status_date": np.maximum(turned, r.a - 5475),
                },
            ),
            _Part(
                paused,
                {
                    "scheme": "城乡居民基本养老保险",
                    "status": "暂停",
                    "status_date": self.ago(rng, paused.size, 30, 300),
                },
            ),
            _Part(
                payers,
                {
                    "scheme": pc.if_else(
                        pa.array(r.employee_pension[payers]),
                        pa.scalar("城镇职工基本养老保险"),
                        pa.scalar("城乡居民基本养老保险"),
                    ),
                    "status": "参保缴费",
                    "status_date": self.within_year(rng, payers.size),
                },
            ),
            _Part(
                out,
                {
                    "scheme": _pick(rng, ("城乡居民基本养老保险", "城镇职工基本养老保险"), out.size, (7, 3)),
                    "status": "领取待遇",
                    "monthly_pension": self.money(rng, out.size, 130, 4500),
                    "status_date": self.ago(rng, out.size, 0, 5475),
                },
                True,
            ),
        ]

    def village_cadre(self, rng) -> list[_Part]:
        r = self.registry
        if not self.cadres.size:
            return []
        posts = ("村党支部书记", "村委会主任", "村委会副主任", "村委会委员", "村务监督委员会主任", "村报账员")
        cadres = self.cadres[np.argsort(r.h_region[r.hidx[self.cadres]], kind="stable")]
        regions = r.h_region[r.hidx[cadres]]
        villages = r.h_village.take(pa.array(r.hidx[cadres]))
        cadre_ids = r.ids.take(pa.array(cadres))
        post = _pick(rng, posts, cadres.size)
        since = self.ago(rng, cadres.size, 60, 2000)
        # Housemates of a cadre (who heads the household), by their relation to the head.
        h_cadre = np.full(r.h, -1, dtype=np.int64)
        h_cadre[r.hidx[cadres]] = np.arange(cadres.size)
        rel = self.relatives
        rel_of = h_cadre[r.hidx[rel]]
        rel_relation = CADRE_RELATION.take(
            pa.array(np.where(r.relation[rel] >= 0, r.relation[rel], len(RELATIONS)))
        )
        # Planted relatives in exited households: of a cadre of their own village where it has one.
        planted = self.cadre_relative
        home = r.h_region[r.hidx[planted]]
        at = np.minimum(np.searchsorted(regions, home), cadres.size - 1)
        planted_of = np.where(regions[at] == home, at, rng.integers(0, cadres.size, planted.size))
        out = self.pool.sample(rng, round(0.25 * cadres.size), 18, 80)
        out_of = rng.integers(0, cadres.size, out.size)

        def about(of: np.ndarray, relation) -> dict:
            idx = pa.array(of)
            return {
                "village": villages.take(idx),
                "relation": relation,
                "cadre_id_number": cadre_ids.take(idx),
                "post": post.take(idx),
                "since": since[of],
            }

        return [
            _Part(cadres, about(np.arange(cadres.size), "本人")),
            _Part(rel, about(rel_of, rel_relation)),
            _Part(planted, about(planted_of, _pick(rng, ("兄弟姐妹", "其他近亲属"), planted.size))),
            _Part(out, about(out_of, _pick(rng, ("子女", "兄弟姐妹", "其他近亲属"), out.size)), True),
        ]
