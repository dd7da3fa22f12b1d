"""Enumerations of supervision (spec §7, §12): clue sources, problem types, classification, rectification
actions, accountability, talks and assessment grades."""

from django.db import models


class ClueSource(models.TextChoices):
    COMPARISON = "comparison", "大数据比对"
    UNANNOUNCED_VISIT = "unannounced_visit", "暗访"
    HOTLINE = "hotline", "信访举报（热线）"
    AUDIT = "audit", "审计"
    INSPECTION = "inspection", "巡察督查"
    OTHER = "other", "其他"


class Classification(models.TextChoices):
    POLICY_DEVIATION = "policy_deviation", "政策执行偏差"
    DISCIPLINE = "discipline", "违纪违规"
    DATA_ERROR = "data_error", "数据错误"


class RectificationAction(models.TextChoices):
    CORRECT_DATA = "correct_data", "更正数据"
    STOP_FUNDS = "stop_funds", "停发资金"
    RECOVER_FUNDS = "recover_funds", "追缴资金"
    REIDENTIFY = "reidentify", "重新识别"
    EXCLUDE = "exclude", "清退"
    GRANT_MISSED = "grant_missed", "补发应享未享待遇"
    OTHER = "other", "其他"


class AccountabilityType(models.TextChoices):
    PARTY_DISCIPLINE = "party_discipline", "党纪处分"
    GOVERNMENT_SANCTION = "government_sanction", "政务处分"
    ORGANISATIONAL = "organisational", "组织处理"
    JUDICIAL = "judicial", "移送司法机关"


class Grade(models.TextChoices):
    GOOD = "good", "好"
    FAIRLY_GOOD = "fairly_good", "较好"
    AVERAGE = "average", "一般"
    POOR = "poor", "较差"


class UnitKind(models.TextChoices):
    """Who an assessment indicator is for: the townships (or counties) below the organiser, or its line
    departments (seed §16 "行业部门和乡镇扶贫成效考核")."""

    REGION = "region", "乡镇（县市区）"
    DEPARTMENT = "department", "行业部门"


class VisitorPost(models.TextChoices):
    COUNTY_SECRETARY = "county_secretary", "县（市、区）委书记"
    TOWNSHIP_SECRETARY = "township_secretary", "乡镇党委书记"
    VILLAGE_SECRETARY = "village_secretary", "村党组织书记"
