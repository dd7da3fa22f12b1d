"""The data-quality rule table (code, title, severity), the risk -> measure rules, and `Issue`."""

from __future__ import annotations

from dataclasses import dataclass

from fangpin.geo.models import Region
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.models import MonitoringCase, Warning
from fangpin.registry.models import Household

S = MonitoringCase.Status
Severity = Warning.Severity
SEVERITY_RANK = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}
# The cases these checks run on: being assisted (incl. elimination in progress) or eliminated.
CHECKED_STATUSES = (*MonitoringCase.ENROLLED, S.ELIMINATED)
WATER_FIELDS = ("water_quantity_ok", "water_quality_ok", "water_convenience_ok", "water_reliability_ok")


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    severity: str
    source: str = ""  # how the page names a rule the national checker left unnumbered

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label

    @property
    def label(self) -> str:
        return self.source or self.code


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("1_02_001", "住危房但未纳入监测对象", Severity.HIGH),
        Rule("1_02_002", "未解决安全饮用水但未纳入监测对象", Severity.HIGH),
        Rule("1_02_008", "已消除风险户住房出现安全问题", Severity.HIGH),
        Rule("1_11_002", "未填写识别时间、风险类型、收入、三保障和饮水指标", Severity.HIGH),
        Rule("1_11_004", "风险消除后指标未填写", Severity.HIGH),
        Rule("1_11_009", "通过帮扶消除但未享受帮扶措施", Severity.HIGH),
        Rule("1_11_010", "识别后1个月及以上未落实帮扶措施", Severity.HIGH),
        Rule("2_11_005", "风险类型为因自然灾害但未填写子项", Severity.MEDIUM),
        Rule("3_11_003", "因病风险无对应帮扶措施", Severity.MEDIUM),
        Rule("3_11_004", "因学风险无对应帮扶措施", Severity.MEDIUM),
        Rule("5_18_006", "因安全饮水未登记饮水安全保障措施", Severity.MEDIUM),
        Rule("housing_measure", "因安全住房未登记住房安全保障和搬迁措施", Severity.MEDIUM, "无编号"),
        Rule("4_11_009", "家庭成员均有劳动能力但风险为缺劳动力", Severity.MEDIUM),
        Rule("5_11_029", "一半以上成员有劳动能力但风险为缺劳动力", Severity.MEDIUM),
        Rule("labour_quarter", "劳动力占比超过四分之一但风险为缺劳动力", Severity.LOW, "无编号"),
        Rule("4_11_010", "风险消除时人均纯收入低于监测范围", Severity.HIGH),
        Rule("5_12_007", "有劳动力未落实开发式帮扶", Severity.HIGH),
        Rule("5_15_013", "风险为务工就业不稳但家庭成员均无劳动力", Severity.MEDIUM),
        Rule("5_15_015", "风险为因病但无大病、慢性病成员", Severity.MEDIUM),
        Rule("5_15_020", "风险为因病但合规自付支出为零", Severity.LOW),
        Rule("gz_early_elimination", "识别当月或次月即帮扶消除", Severity.MEDIUM, "贵州"),
    )
}
# A risk, the rule that reports its missing matching measure, and whether the rule is for eliminated cases only
# (3_11_003 and 3_11_004 are, in the national checker; an enrolled case sees them as the worklist's alert).
RISK_RULES = {
    RiskType.ILLNESS: ("3_11_003", True),
    RiskType.EDUCATION: ("3_11_004", True),
    RiskType.WATER_UNSAFE: ("5_18_006", False),
    RiskType.HOUSING_UNSAFE: ("housing_measure", False),
}


@dataclass(frozen=True)
class Issue:
    """One data-quality problem of a household (and, for the case checks, its monitoring case)."""

    rule: str
    explanation: str
    household: Household
    case: MonitoringCase | None = None

    @property
    def title(self) -> str:
        return RULES[self.rule].title

    @property
    def severity(self) -> str:
        return RULES[self.rule].severity

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label

    @property
    def rule_label(self) -> str:
        return RULES[self.rule].label

    @property
    def village(self) -> Region:
        return self.household.region
