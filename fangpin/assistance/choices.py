"""The 14 assistance-measure categories of the national system (spec §3.8) with their sub-types.

The national code tables (100A39–100A55) were not found in public sources; the sub-types below are the common
items of county products and policy texts, and are the place to align codes once the tables are obtained.
"""

from django.db import models


class MeasureCategory(models.TextChoices):
    INDUSTRY = "industry", "产业帮扶"
    EMPLOYMENT = "employment", "就业帮扶"
    FINANCE = "finance", "金融帮扶"
    PUBLIC_POST = "public_post", "公益岗位帮扶"
    HOUSING = "housing", "住房安全保障"
    WATER = "water", "饮水安全保障"
    HEALTH = "health", "健康帮扶"
    COMPULSORY_EDU = "compulsory_edu", "义务教育保障"
    OTHER_EDU = "other_edu", "其他教育帮扶"
    COMPREHENSIVE = "comprehensive", "综合保障"
    SOCIAL = "social", "社会帮扶"
    RELOCATION = "relocation", "搬迁"
    LIVING_CONDITIONS = "living_conditions", "生产生活条件改善"
    INFRASTRUCTURE = "infrastructure", "基础设施建设"


# 开发式帮扶: the measures that build the household's own earning capacity (spec §3.8).
DEVELOPMENTAL = frozenset(
    {
        MeasureCategory.INDUSTRY,
        MeasureCategory.EMPLOYMENT,
        MeasureCategory.FINANCE,
        MeasureCategory.PUBLIC_POST,
    }
)

SUBTYPES: dict[str, tuple[str, ...]] = {
    MeasureCategory.INDUSTRY: (
        "种植业",
        "养殖业",
        "林果业",
        "农产品加工",
        "乡村旅游",
        "电商",
        "产业奖补",
        "其他",
    ),
    MeasureCategory.EMPLOYMENT: (
        "转移就业",
        "就近就业（扶贫车间）",
        "就业技能培训",
        "务工交通补贴",
        "创业扶持",
        "其他",
    ),
    MeasureCategory.FINANCE: ("小额信贷", "产业贴息贷款", "创业担保贷款", "其他"),
    MeasureCategory.PUBLIC_POST: ("行业部门公益岗", "乡镇公益岗", "村级公益岗", "其他"),
    MeasureCategory.HOUSING: ("危房改造", "修缮加固", "租赁或公租房保障", "其他"),
    MeasureCategory.WATER: ("集中供水工程", "分散供水工程", "水质净化", "其他"),
    MeasureCategory.HEALTH: (
        "基本医疗保险参保资助",
        "大病保险",
        "医疗救助",
        "家庭医生签约服务",
        "慢病救治",
        "其他",
    ),
    MeasureCategory.COMPULSORY_EDU: ("控辍保学劝返", "送教上门", "义务教育阶段资助", "其他"),
    MeasureCategory.OTHER_EDU: ("雨露计划", "学前教育资助", "高中阶段资助", "大学生资助", "其他"),
    MeasureCategory.COMPREHENSIVE: ("纳入低保", "纳入特困供养", "临时救助", "残疾人两项补贴", "其他"),
    MeasureCategory.SOCIAL: ("社会捐赠", "结对帮扶", "消费帮扶", "防贫保险", "其他"),
    MeasureCategory.RELOCATION: ("易地扶贫搬迁", "避险搬迁", "其他"),
    MeasureCategory.LIVING_CONDITIONS: ("改厨改厕", "人居环境整治", "生产设施改善", "其他"),
    MeasureCategory.INFRASTRUCTURE: ("道路", "电力", "通信网络", "其他"),
}

# A risk and the measure categories that answer it (spec §3.8 "measure must match risk"; checks 3_11_003,
# 3_11_004, 5_18_006 and the unnumbered housing check). Risks not listed accept any measure.
RISK_MEASURES: dict[str, frozenset[str]] = {
    "illness": frozenset({MeasureCategory.HEALTH, MeasureCategory.SOCIAL, MeasureCategory.COMPREHENSIVE}),
    "education": frozenset(
        {MeasureCategory.COMPULSORY_EDU, MeasureCategory.OTHER_EDU, MeasureCategory.SOCIAL}
    ),
    "housing_unsafe": frozenset({MeasureCategory.HOUSING, MeasureCategory.RELOCATION}),
    "water_unsafe": frozenset({MeasureCategory.WATER}),
}
