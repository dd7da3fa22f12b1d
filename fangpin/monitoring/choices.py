"""Enumerations of monitoring cases (spec §3.2, §3.4, §3.5, §3.9): English codes, Chinese labels."""

from django.db import models


class Category(models.TextChoices):
    UNSTABLE_EXITED = "unstable_exited", "脱贫不稳定户"
    EDGE_VULNERABLE = "edge_vulnerable", "边缘易致贫户"
    SUDDEN_HARDSHIP = "sudden_hardship", "突发严重困难户"


# Category -> the household type it requires (None: either). Spec §3.2 invariant.
CATEGORY_HOUSEHOLD_TYPE = {
    Category.UNSTABLE_EXITED: "exited",
    Category.EDGE_VULNERABLE: "ordinary",
    Category.SUDDEN_HARDSHIP: None,
}


class RiskType(models.TextChoices):
    """National code table 100A27 (order of codes as inferred in spec §3.4)."""

    ILLNESS = "illness", "因病"
    EDUCATION = "education", "因学"
    DISABILITY = "disability", "因残"
    NATURAL_DISASTER = "natural_disaster", "因自然灾害"
    ACCIDENT = "accident", "因意外事故"
    INDUSTRY_FAILURE = "industry_failure", "因产业项目失败"
    EMPLOYMENT_UNSTABLE = "employment_unstable", "因务工就业不稳"
    LACK_OF_LABOUR = "lack_of_labour", "缺劳动力"
    HOUSING_UNSAFE = "housing_unsafe", "因安全住房"
    WATER_UNSAFE = "water_unsafe", "因安全饮水"
    OTHER = "other", "其他"


MAX_RISKS = 5


class DisasterSubtype(models.TextChoices):
    """因自然灾害子项 (code table 100A271); the values are the common disaster kinds, to be confirmed."""

    FLOOD = "flood", "洪涝灾害"
    DROUGHT = "drought", "干旱灾害"
    GEOLOGICAL = "geological", "地质灾害"
    METEOROLOGICAL = "meteorological", "气象灾害（风雹、低温冰冻等）"
    EARTHQUAKE = "earthquake", "地震灾害"
    OTHER = "other", "其他自然灾害"


class Channel(models.TextChoices):
    SELF_REPORT = "self_report", "农户自主申报"
    CADRE = "cadre", "基层干部排查"
    DEPARTMENT = "department", "部门筛查预警"
    ASSOCIATED = "associated", "关联监测"


class EliminationMethod(models.TextChoices):
    ASSISTED = "assisted", "帮扶消除"
    NATURAL = "natural", "自然消除"


class RiskTier(models.TextChoices):
    """Sets how often the assistance cadre visits (visit_days_<tier>)."""

    HIGH = "high", "高风险"
    MEDIUM = "medium", "中风险"
    LOW = "low", "低风险"


class VisitMethod(models.TextChoices):
    HOME = "home", "入户走访"
    PHONE = "phone", "电话回访"
    VIDEO = "video", "视频回访"
    MEETING = "meeting", "集中座谈"
