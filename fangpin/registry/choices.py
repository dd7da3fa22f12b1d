"""Enumerations of the national monitoring exports (spec §4, §5.2, §5.3): English codes, Chinese labels."""

from django.db import models


class HouseholdType(models.TextChoices):
    EXITED = "exited", "脱贫户"
    ORDINARY = "ordinary", "一般农户"


class IdentificationStandard(models.TextChoices):
    NATIONAL = "national", "国家标准"
    PROVINCIAL = "provincial", "省定标准"
    MUNICIPAL = "municipal", "市定标准"


class HousingGrade(models.TextChoices):
    A = "A", "A级"
    B = "B", "B级"
    C = "C", "C级（局部危房）"
    D = "D", "D级（整幢危房）"


UNSAFE_HOUSING_GRADES = (HousingGrade.C, HousingGrade.D)


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    SON = "son", "之子"
    DAUGHTER = "daughter", "之女"
    DAUGHTER_IN_LAW = "daughter_in_law", "之儿媳"
    SON_IN_LAW = "son_in_law", "之女婿"
    GRANDSON = "grandson", "之孙子"
    GRANDDAUGHTER = "granddaughter", "之孙女"
    DAUGHTERS_SON = "daughters_son", "之外孙子"
    DAUGHTERS_DAUGHTER = "daughters_daughter", "之外孙女"
    FATHER = "father", "之父"
    MOTHER = "mother", "之母"
    WIFES_FATHER = "wifes_father", "之岳父"
    WIFES_MOTHER = "wifes_mother", "之岳母"
    HUSBANDS_FATHER = "husbands_father", "之公公"
    HUSBANDS_MOTHER = "husbands_mother", "之婆婆"
    GRANDFATHER = "grandfather", "之祖父"
    GRANDMOTHER = "grandmother", "之祖母"
    MATERNAL_GRANDFATHER = "maternal_grandfather", "之外祖父"
    MATERNAL_GRANDMOTHER = "maternal_grandmother", "之外祖母"
    SIBLING = "sibling", "之兄弟姐妹"
    GREAT_GRANDSON = "great_grandson", "之曾孙子"
    GREAT_GRANDDAUGHTER = "great_granddaughter", "之曾孙女"
    NEPHEW = "nephew", "之侄儿"
    NIECE = "niece", "之侄女"
    SISTER_IN_LAW = "sister_in_law", "之兄弟媳妇"
    UNCLE = "uncle", "之叔伯"
    OTHER = "other", "其他"


MALE_RELATIONS = frozenset(
    {
        Relation.SON,
        Relation.SON_IN_LAW,
        Relation.GRANDSON,
        Relation.DAUGHTERS_SON,
        Relation.FATHER,
        Relation.WIFES_FATHER,
        Relation.HUSBANDS_FATHER,
        Relation.GRANDFATHER,
        Relation.MATERNAL_GRANDFATHER,
        Relation.GREAT_GRANDSON,
        Relation.NEPHEW,
        Relation.UNCLE,
    }
)
FEMALE_RELATIONS = frozenset(
    {
        Relation.DAUGHTER,
        Relation.DAUGHTER_IN_LAW,
        Relation.GRANDDAUGHTER,
        Relation.DAUGHTERS_DAUGHTER,
        Relation.MOTHER,
        Relation.WIFES_MOTHER,
        Relation.HUSBANDS_MOTHER,
        Relation.GRANDMOTHER,
        Relation.MATERNAL_GRANDMOTHER,
        Relation.GREAT_GRANDDAUGHTER,
        Relation.NIECE,
        Relation.SISTER_IN_LAW,
    }
)


class Ethnicity(models.TextChoices):
    """The 56 ethnic groups, in GB/T 3304 order, with its romanised codes."""

    HAN = "han", "汉族"
    MONGOL = "mongol", "蒙古族"
    HUI = "hui", "回族"
    ZANG = "zang", "藏族"
    UYGUR = "uygur", "维吾尔族"
    MIAO = "miao", "苗族"
    YI = "yi", "彝族"
    ZHUANG = "zhuang", "壮族"
    BUYEI = "buyei", "布依族"
    CHOSEN = "chosen", "朝鲜族"
    MAN = "man", "满族"
    DONG = "dong", "侗族"
    YAO = "yao", "瑶族"
    BAI = "bai", "白族"
    TUJIA = "tujia", "土家族"
    HANI = "hani", "哈尼族"
    KAZAK = "kazak", "哈萨克族"
    DAI = "dai", "傣族"
    LI = "li", "黎族"
    LISU = "lisu", "傈僳族"
    VA = "va", "佤族"
    SHE = "she", "畲族"
    GAOSHAN = "gaoshan", "高山族"
    LAHU = "lahu", "拉祜族"
    SUI = "sui", "水族"
    DONGXIANG = "dongxiang", "东乡族"
    NAXI = "naxi", "纳西族"
    JINGPO = "jingpo", "景颇族"
    KIRGIZ = "kirgiz", "柯尔克孜族"
    TU = "tu", "土族"
    DAUR = "daur", "达斡尔族"
    MULAO = "mulao", "仫佬族"
    QIANG = "qiang", "羌族"
    BLANG = "blang", "布朗族"
    SALAR = "salar", "撒拉族"
    MAONAN = "maonan", "毛南族"
    GELAO = "gelao", "仡佬族"
    XIBE = "xibe", "锡伯族"
    ACHANG = "achang", "阿昌族"
    PUMI = "pumi", "普米族"
    TAJIK = "tajik", "塔吉克族"
    NU = "nu", "怒族"
    UZBEK = "uzbek", "乌孜别克族"
    RUSS = "russ", "俄罗斯族"
    EWENKI = "ewenki", "鄂温克族"
    DEANG = "deang", "德昂族"
    BONAN = "bonan", "保安族"
    YUGUR = "yugur", "裕固族"
    GIN = "gin", "京族"
    TATAR = "tatar", "塔塔尔族"
    DERUNG = "derung", "独龙族"
    OROQEN = "oroqen", "鄂伦春族"
    HEZHEN = "hezhen", "赫哲族"
    MONBA = "monba", "门巴族"
    LHOBA = "lhoba", "珞巴族"
    JINO = "jino", "基诺族"


class PoliticalStatus(models.TextChoices):
    CPC_MEMBER = "cpc_member", "中共党员"
    CPC_PROBATIONARY = "cpc_probationary", "中共预备党员"
    CYL_MEMBER = "cyl_member", "共青团员"
    MASSES = "masses", "群众"


class Education(models.TextChoices):
    ILLITERATE = "illiterate", "文盲或半文盲"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中"
    JUNIOR_COLLEGE = "junior_college", "大专"
    BACHELOR = "bachelor", "本科及以上"


class StudentStatus(models.TextChoices):
    PRESCHOOL_CHILD = "preschool_child", "学龄前儿童"
    PRESCHOOL = "preschool", "学前教育"
    PRIMARY = "primary", "小学"
    GRADE_7 = "grade_7", "七年级"
    GRADE_8 = "grade_8", "八年级"
    GRADE_9 = "grade_9", "九年级"
    HIGH_1 = "high_1", "普通高中一年级"
    HIGH_2 = "high_2", "普通高中二年级"
    HIGH_3 = "high_3", "普通高中三年级"
    VOCATIONAL_1 = "vocational_1", "中职一年级"
    VOCATIONAL_2 = "vocational_2", "中职二年级"
    VOCATIONAL_3 = "vocational_3", "中职三年级"
    HIGHER_VOCATIONAL_1 = "higher_vocational_1", "高职高专一年级"
    HIGHER_VOCATIONAL_2 = "higher_vocational_2", "高职高专二年级"
    HIGHER_VOCATIONAL_3 = "higher_vocational_3", "高职高专三年级"
    TECHNICIAN_1 = "technician_1", "技师学院一年级"
    TECHNICIAN_2 = "technician_2", "技师学院二年级"
    TECHNICIAN_3 = "technician_3", "技师学院三年级"
    TECHNICIAN_4 = "technician_4", "技师学院四年级"
    UNDERGRADUATE_1 = "undergraduate_1", "本科一年级"
    UNDERGRADUATE_2 = "undergraduate_2", "本科二年级"
    UNDERGRADUATE_3 = "undergraduate_3", "本科三年级"
    UNDERGRADUATE_4 = "undergraduate_4", "本科四年级"
    UNDERGRADUATE_5 = "undergraduate_5", "本科五年级"
    POSTGRADUATE = "postgraduate", "硕士研究生及以上"


class Health(models.TextChoices):
    HEALTHY = "healthy", "健康"
    CHRONIC = "chronic", "长期慢性病"
    SERIOUS_ILLNESS = "serious_illness", "患有大病"
    DISABLED = "disabled", "残疾"


class DisabilityCategory(models.IntegerChoices):
    VISUAL = 1, "视力残疾"
    HEARING = 2, "听力残疾"
    SPEECH = 3, "言语残疾"
    PHYSICAL = 4, "肢体残疾"
    INTELLECTUAL = 5, "智力残疾"
    MENTAL = 6, "精神残疾"
    MULTIPLE = 7, "多重残疾"


class DisabilityGrade(models.IntegerChoices):
    GRADE_1 = 1, "一级"
    GRADE_2 = 2, "二级"
    GRADE_3 = 3, "三级"
    GRADE_4 = 4, "四级"


class LabourSkill(models.TextChoices):
    ORDINARY = "ordinary", "普通劳动力"
    SKILLED = "skilled", "技能劳动力"
    WEAK = "weak", "弱劳动力或半劳动力"
    LOST = "lost", "丧失劳动力"
    NONE = "none", "无劳动力"


LABOUR_CAPABLE = (LabourSkill.ORDINARY, LabourSkill.SKILLED, LabourSkill.WEAK)


class WorkLocation(models.TextChoices):
    IN_TOWNSHIP = "in_township", "乡（镇）内务工"
    IN_COUNTY = "in_county", "乡（镇）外县内务工"
    IN_PROVINCE = "in_province", "县外省内务工"
    OUT_OF_PROVINCE = "out_of_province", "省外务工"
    ABROAD = "abroad", "其他（国外）"


class PublicPost(models.TextChoices):
    DEPARTMENT = "department", "行业部门公益岗"
    TOWNSHIP = "township", "乡镇公益岗"
    VILLAGE = "village", "村级公益岗"
