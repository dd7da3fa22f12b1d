"""The catalogue of department datasets (部门数据集), declared in code: what each department delivers, in which
columns, of which types, keyed by which ID number, and which date makes a record current.

Kinds are plain frozen dataclasses, not a table: a new kind needs an importer, a Parquet schema and screening
rules, all of which are code anyway. Headers are the Chinese names the departments' own exports use; each
column may list the variants seen in the wild as aliases.
"""

from __future__ import annotations

from dataclasses import dataclass

from fangpin.accounts.models import Department
from fangpin.core.spreadsheets import Column

TYPES = ("id_number", "text", "date", "decimal", "integer", "choice")
YES_NO = ("是", "否")
STAGES = ("学前", "小学", "初中", "高中", "中职", "高职", "本科", "研究生")


@dataclass(frozen=True)
class DatasetColumn:
    """One column of a dataset: the field name (English, the Parquet column), the Chinese header, its type.

    `decimal` columns are amounts in yuan: never negative, at most two decimal places.
    """

    field: str
    header: str
    type: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    help: str = ""

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"unknown column type {self.type!r}")
        if (self.type == "choice") != bool(self.choices):
            raise ValueError(f"column {self.field}: choices go with type 'choice' only")

    @property
    def column(self) -> Column:
        """The spreadsheet column the import reader matches headers against."""
        return Column(self.field, self.header, self.aliases, self.required, self.help, self.choices)


@dataclass(frozen=True)
class DatasetKind:
    """One kind of department delivery: who delivers it, what it is called, its columns and keys."""

    code: str
    department: str
    name: str
    columns: tuple[DatasetColumn, ...]
    id_column: str = "id_number"
    current_date_column: str = ""

    def __post_init__(self):
        fields = [c.field for c in self.columns]
        if len(set(fields)) != len(fields):
            raise ValueError(f"{self.code}: duplicate fields")
        by_field = {c.field: c for c in self.columns}
        if by_field.get(self.id_column) is None or by_field[self.id_column].type != "id_number":
            raise ValueError(f"{self.code}: id_column must name an id_number column")
        current = by_field.get(self.current_date_column)
        if current is None or current.type != "date" or not current.required:
            raise ValueError(f"{self.code}: current_date_column must name a required date column")
        if self.department not in Department.values:
            raise ValueError(f"{self.code}: unknown department {self.department!r}")

    @property
    def department_label(self) -> str:
        return str(Department(self.department).label)

    @property
    def import_kind(self) -> str:
        """The kind under which the import runner knows this dataset."""
        return f"dataset:{self.code}"

    @property
    def spreadsheet_columns(self) -> tuple[Column, ...]:
        return tuple(c.column for c in self.columns)

    def field(self, name: str) -> DatasetColumn:
        return next(c for c in self.columns if c.field == name)

    @property
    def key_fields(self) -> tuple[str, ...]:
        """The fields shown in lineage panels: everything but the ID number and the name (already shown)."""
        return tuple(c.field for c in self.columns if c.field not in (self.id_column, "name"))


def _id(header="身份证号码", field="id_number", required=True, **kw) -> DatasetColumn:
    aliases = kw.pop("aliases", ("公民身份号码", "证件号码", "身份证号"))
    return DatasetColumn(field, header, "id_number", required, aliases=aliases, **kw)


def _name(header="姓名") -> DatasetColumn:
    return DatasetColumn("name", header, "text", True)


def _date(field, header, required=False, **kw) -> DatasetColumn:
    return DatasetColumn(field, header, "date", required, help="日期，如 2025-03-01", **kw)


def _money(field, header, required=False, **kw) -> DatasetColumn:
    return DatasetColumn(field, header, "decimal", required, help="金额（元），不为负，最多两位小数", **kw)


def _text(field, header, required=False, **kw) -> DatasetColumn:
    return DatasetColumn(field, header, "text", required, **kw)


def _choice(field, header, choices, required=False, **kw) -> DatasetColumn:
    return DatasetColumn(field, header, "choice", required, tuple(choices), **kw)


D = Department
KINDS: tuple[DatasetKind, ...] = (
    DatasetKind(
        "minimum_living",
        D.CIVIL_AFFAIRS,
        "低保对象名册",
        (
            _id(),
            _name(),
            _choice("category", "保障类别", ("A类", "B类", "C类")),
            DatasetColumn("household_size", "保障人数", "integer"),
            _money("monthly_amount", "月保障金额", True, aliases=("户保障金额",)),
            _date("start_date", "纳入日期", True, aliases=("审批日期",)),
            _date("end_date", "退出日期"),
        ),
        current_date_column="start_date",
    ),
    DatasetKind(
        "extreme_poverty",
        D.CIVIL_AFFAIRS,
        "特困供养对象名册",
        (
            _id(),
            _name(),
            _choice("support_mode", "供养方式", ("分散供养", "集中供养"), True),
            _money("monthly_amount", "月供养金额", True, aliases=("户保障金额",)),
            _date("start_date", "认定日期", True),
            _date("end_date", "终止日期"),
        ),
        current_date_column="start_date",
    ),
    DatasetKind(
        "temporary_assistance",
        D.CIVIL_AFFAIRS,
        "临时救助记录",
        (
            _id(),
            _name(),
            _text("reason", "救助事由"),
            _money("amount", "救助金额", True),
            _date("assistance_date", "救助日期", True),
        ),
        current_date_column="assistance_date",
    ),
    DatasetKind(
        "death_record",
        D.PUBLIC_SECURITY,
        "死亡人员信息",
        (
            _id(),
            _name(),
            _date("death_date", "死亡日期", True),
            _date("cancel_date", "注销户口日期"),
            _text("cause", "死亡原因"),
        ),
        current_date_column="death_date",
    ),
    DatasetKind(
        "household_move",
        D.PUBLIC_SECURITY,
        "户籍迁移记录",
        (
            _id(),
            _name(),
            _choice("move_type", "迁移类型", ("迁入", "迁出", "户内变更"), True),
            _text("from_address", "迁出地"),
            _text("to_address", "迁入地"),
            _date("move_date", "迁移日期", True),
        ),
        current_date_column="move_date",
    ),
    DatasetKind(
        "vehicle_registration",
        D.PUBLIC_SECURITY,
        "机动车登记信息",
        (
            _id(),
            _name("所有人姓名"),
            _text("plate", "号牌号码", True),
            _text("vehicle_type", "车辆类型"),
            _choice("status", "机动车状态", ("正常", "转移", "注销", "报废", "查封")),
            _date("registered_on", "初次登记日期", True),
        ),
        current_date_column="registered_on",
    ),
    DatasetKind(
        "company_registration",
        D.MARKET_REGULATION,
        "市场主体登记信息",
        (
            _id(),
            _name(),
            _text("company", "企业名称", True, aliases=("市场主体名称",)),
            _text("credit_code", "统一社会信用代码"),
            _choice("role", "人员身份", ("法定代表人", "股东", "个体工商户经营者"), True),
            _money("registered_capital", "注册资本（万元）"),
            _money("subscribed_capital", "认缴出资额（万元）"),
            _choice("status", "登记状态", ("存续", "注销", "吊销")),
            _date("established_on", "成立日期", True),
        ),
        current_date_column="established_on",
    ),
    DatasetKind(
        "public_payroll",
        D.HUMAN_RESOURCES,
        "财政供养人员信息",
        (
            _id(),
            _name(),
            _text("employer", "工作单位", True),
            _choice("staff_type", "人员类别", ("公务员", "参公管理", "事业编制", "其他财政供养"), True),
            _money("monthly_salary", "月工资"),
            _date("hired_on", "入职日期", True),
        ),
        current_date_column="hired_on",
    ),
    DatasetKind(
        "employment",
        D.HUMAN_RESOURCES,
        "就业失业登记信息",
        (
            _id(),
            _name(),
            _choice("status", "就业状态", ("就业", "失业", "公益性岗位"), True),
            _text("employer", "就业单位"),
            _text("location", "就业地点"),
            _money("monthly_income", "月收入"),
            _date("start_date", "登记日期", True),
            _date("end_date", "终止日期"),
        ),
        current_date_column="start_date",
    ),
    DatasetKind(
        "pension",
        D.HUMAN_RESOURCES,
        "养老保险参保及待遇信息",
        (
            _id(),
            _name(),
            _choice(
                "scheme",
                "险种",
                ("城乡居民基本养老保险", "城镇职工基本养老保险", "机关事业单位养老保险"),
                True,
            ),
            _choice("status", "参保状态", ("参保缴费", "领取待遇", "暂停", "终止"), True),
            _money("monthly_pension", "月养老金"),
            _date("status_date", "状态日期", True),
        ),
        current_date_column="status_date",
    ),
    DatasetKind(
        "medical_settlement",
        D.MEDICAL_INSURANCE,
        "医保结算信息",
        (
            _id(),
            _name(),
            _choice("visit_type", "就诊类型", ("住院", "门诊慢特病", "普通门诊"), True),
            _text("hospital", "医疗机构"),
            _date("admitted_on", "入院日期", True),
            _date("discharged_on", "出院日期"),
            _money("total_cost", "医疗费用总额", True, aliases=("医疗费总额", "总费用")),
            _money("compliant_cost", "政策范围内费用", True, aliases=("合规费用",)),
            _money("basic_paid", "基本医保支付", True),
            _money("critical_paid", "大病保险支付", True),
            _money("assistance_paid", "医疗救助支付", True),
            _money("self_paid", "个人自付", True, aliases=("个人自付费用",)),
        ),
        current_date_column="admitted_on",
    ),
    DatasetKind(
        "school_enrolment",
        D.EDUCATION,
        "学籍信息",
        (
            _id(),
            _name(),
            _text("school", "学校名称", True),
            _choice("stage", "学段", STAGES, True),
            _text("grade", "年级"),
            _choice("status", "学籍状态", ("在读", "休学", "转学", "毕业"), True),
            _date("enrolled_on", "入学日期", True),
        ),
        current_date_column="enrolled_on",
    ),
    DatasetKind(
        "school_dropout",
        D.EDUCATION,
        "辍学学生信息",
        (
            _id(),
            _name(),
            _text("school", "学校名称", True),
            _choice("stage", "学段", STAGES, True),
            _date("dropout_on", "辍学日期", True),
            _text("reason", "辍学原因"),
            _choice("returned", "是否劝返", YES_NO),
        ),
        current_date_column="dropout_on",
    ),
    DatasetKind(
        "student_aid",
        D.EDUCATION,
        "学生资助信息",
        (
            _id(),
            _name(),
            _text("school", "学校名称"),
            _choice("stage", "学段", STAGES),
            _text("programme", "资助项目", True),
            _money("amount", "资助金额", True, aliases=("受助金额",)),
            _date("paid_on", "发放日期", True),
        ),
        current_date_column="paid_on",
    ),
    DatasetKind(
        "house_appraisal",
        D.HOUSING,
        "农村房屋安全鉴定信息",
        (
            _id(header="户主身份证号码", aliases=("身份证号码", "户主证件号码")),
            _name("户主姓名"),
            _text("address", "房屋地址"),
            _choice("grade", "鉴定等级", ("A", "B", "C", "D"), True, help="A、B 为安全，C、D 为危房"),
            _text("appraiser", "鉴定机构"),
            _date("appraised_on", "鉴定日期", True),
        ),
        current_date_column="appraised_on",
    ),
    DatasetKind(
        "water_check",
        D.WATER,
        "饮水安全核查信息",
        (
            _id(header="户主身份证号码", aliases=("身份证号码", "户主证件号码")),
            _name("户主姓名"),
            _choice("supply", "供水方式", ("集中供水", "分散供水"), True),
            _choice("quantity_ok", "水量达标", YES_NO, True),
            _choice("quality_ok", "水质达标", YES_NO, True),
            _choice("convenience_ok", "用水方便程度达标", YES_NO, True),
            _choice("reliability_ok", "供水保证率达标", YES_NO, True),
            _date("checked_on", "核查日期", True),
        ),
        current_date_column="checked_on",
    ),
    DatasetKind(
        "disability_card",
        D.DISABLED_FEDERATION,
        "残疾人证信息",
        (
            _id(),
            _name(),
            _text("card_number", "残疾人证号", True),
            _choice("category", "残疾类别", ("视力", "听力", "言语", "肢体", "智力", "精神", "多重"), True),
            _choice("grade", "残疾等级", ("一级", "二级", "三级", "四级"), True),
            _date("issued_on", "发证日期", True),
        ),
        current_date_column="issued_on",
    ),
    DatasetKind(
        "insurer_claim",
        D.INSURER,
        "防贫保理赔清单",
        (
            _id(),
            _name(),
            _choice("claim_type", "理赔类型", ("因病", "因学", "因灾", "其他"), True),
            _date("reported_on", "报案日期"),
            _money("amount", "理赔金额", True),
            _date("paid_on", "理赔日期", True),
        ),
        current_date_column="paid_on",
    ),
    DatasetKind(
        "village_cadre",
        D.ORGANIZATION,
        "村干部及其亲属名单",
        (
            _id(),
            _name(),
            _text("village", "所在村", True),
            _choice(
                "relation", "与村干部关系", ("本人", "配偶", "父母", "子女", "兄弟姐妹", "其他近亲属"), True
            ),
            _id(header="村干部身份证号码", field="cadre_id_number", required=False, aliases=()),
            _text("post", "村干部职务"),
            _date("since", "任职日期", True),
        ),
        current_date_column="since",
    ),
)

BY_CODE: dict[str, DatasetKind] = {k.code: k for k in KINDS}


def get_kind(code: str) -> DatasetKind:
    """The kind by its code (with or without the "dataset:" prefix the import runner uses)."""
    return BY_CODE[code.removeprefix("dataset:")]


def kinds_for(department: str) -> list[DatasetKind]:
    """The kinds one department delivers."""
    return [k for k in KINDS if k.department == department]
