"""What demo cases are drawn from: workflow steps, step gaps, the stage deck, risks, measures, texts."""

from __future__ import annotations

from fangpin.monitoring.models import MonitoringCase

S = MonitoringCase.Status
IDENTIFICATION = ("open", "check", "compare", "review", "start_notice", "end_notice", "audit", "approve",
                  "announce", "record")  # fmt: skip
ELIMINATION = ("propose_elimination", "elim_review", "elim_start_notice", "elim_end_notice", "elim_check",
               "elim_approve")  # fmt: skip
LAST_STEP = dict(zip([S.CLUE, S.CHECKED, S.COMPARED, S.REVIEWED, S.NOTICE, S.NOTICED, S.AUDITED, S.APPROVED,
                      S.ANNOUNCED, S.MONITORED], IDENTIFICATION, strict=True))  # fmt: skip
LAST_STEP |= dict(zip([*MonitoringCase.ELIMINATING, S.ELIMINATED], ELIMINATION, strict=True))
# Days after the previous step (low, high); the notice steps add the notice period.
GAPS = {"check": (1, 3), "compare": (1, 4), "review": (1, 4), "start_notice": (0, 1), "end_notice": (0, 1),
        "audit": (1, 3), "approve": (1, 3), "announce": (1, 2), "record": (0, 2), "elim_review": (1, 5),
        "elim_start_notice": (0, 1), "elim_end_notice": (0, 1), "elim_check": (1, 4), "elim_approve": (1, 4)}  # fmt: skip
# A deck of 60 stages, shuffled: most monitored, every other stage at least once in every 60 households.
DECK = ([S.MONITORED] * 38 + [S.ELIMINATED] * 5 + list(MonitoringCase.ELIMINATING) + [S.NOTICE] * 2
        + [S.CLUE, S.CHECKED, S.COMPARED, S.REVIEWED, S.NOTICED, S.AUDITED, S.APPROVED, S.ANNOUNCED]
        + [S.REJECTED] * 2)  # fmt: skip
CHANNELS = (("department", 0.6), ("cadre", 0.28), ("self_report", 0.12))
WARNING_RISKS = {"JC-03": "illness", "JC-04": "lack_of_labour", "JC-05": "housing_unsafe", "JC-06": "water_unsafe",
                 "JC-07": "illness", "JC-08": "illness", "JC-09": "illness", "JC-10": "illness",
                 "JC-11": "disability", "JC-12": "housing_unsafe", "JC-13": "water_unsafe", "JC-14": "education",
                 "JC-18": "employment_unstable", "JC-19": "accident"}  # fmt: skip
FALLBACK_RISKS = (("employment_unstable", 30), ("illness", 25), ("industry_failure", 12), ("natural_disaster", 10),
                  ("accident", 10), ("education", 8), ("disability", 5))  # fmt: skip
# risk -> (measure category, sub-types, provider suffix, amount range, one-off)
MEASURE_FOR_RISK = {
    "illness": ("health", ("医疗救助", "慢病救治", "家庭医生签约服务"), "医疗保障局", (1500, 8000), True),
    "education": ("other_edu", ("雨露计划",), "教育局", (3000, 3000), False),
    "disability": ("comprehensive", ("残疾人两项补贴",), "民政局", (1200, 2400), False),
    "natural_disaster": ("comprehensive", ("临时救助",), "民政局", (1000, 5000), True),
    "accident": ("social", ("防贫保险",), "乡村振兴局", (2000, 10000), True),
    "industry_failure": ("industry", ("产业奖补", "种植业", "养殖业"), "农业农村局", (1000, 5000), True),
    "employment_unstable": ("employment", ("转移就业", "就业技能培训", "务工交通补贴"), "人力资源和社会保障局", (0, 1000), False),
    "lack_of_labour": ("comprehensive", ("纳入低保", "纳入特困供养"), "民政局", (3000, 8000), False),
    "housing_unsafe": ("housing", ("危房改造", "修缮加固"), "住房和城乡建设局", (15000, 40000), True),
    "water_unsafe": ("water", ("分散供水工程", "水质净化"), "水利和湖泊局", (500, 3000), True),
}  # fmt: skip
DEVELOPMENTAL_MEASURES = (("employment", "转移就业", "人力资源和社会保障局", (0, 500)),
                          ("public_post", "村级公益岗", "", (6000, 6000)),
                          ("industry", "种植业", "农业农村局", (1000, 3000)),
                          ("finance", "小额信贷", "农村商业银行", (30000, 50000)))  # fmt: skip
REJECTIONS = {
    "clue": "入户核实：家庭成员务工收入稳定，无大额刚性支出，不存在致贫返贫风险，不予纳入",
    "checked": "部门数据比对：家庭成员在县城购有商品房并登记有小型汽车，不符合纳入条件，不予纳入",
    "notice": "公示期间群众反映的情况经核查属实，异议成立，不予纳入",
}
FINDINGS = {
    "illness": "患病成员按时复查，医疗费用已按政策报销，家庭生活基本稳定",
    "education": "在校学生按时就学，已享受相应资助",
    "disability": "残疾人两项补贴按月发放，生活能够自理",
    "lack_of_labour": "低保金按月发放，日常生活有保障",
    "employment_unstable": "务工人员已重新就业，收入逐步恢复",
    "housing_unsafe": "危房改造进度正常，住房安全有保障",
    "water_unsafe": "供水设施运行正常，饮水安全达标",
}
