"""Printable papers of a village (spec §3.7, §3.9): the village notice (公示) of the households on notice and the
announcement (公告) of the households approved, for identification and for risk elimination, as PDF.

What is printed is public: ID numbers are always masked, whatever the printing user may see. The PDF uses
reportlab's built-in CID font STSong-Light (Adobe-GB1), so no font file is shipped or fetched: PDF readers
draw it with their own Song typeface.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from django.http import Http404

from fangpin.core.validators import mask_id_number
from fangpin.geo.models import Region
from fangpin.monitoring.choices import Category, EliminationMethod
from fangpin.monitoring.models import MonitoringCase
from fangpin.monitoring.services.workflow import MissingParameter, notice_end, workflow_parameter

S = MonitoringCase.Status
FONT = "STSong-Light"


class Stage:
    """Which procedure a paper belongs to."""

    IDENTIFY = "identify"
    ELIMINATE = "eliminate"
    CHOICES = [(IDENTIFY, "纳入监测"), (ELIMINATE, "风险消除")]


NOTICE_STATUSES = {Stage.IDENTIFY: (S.NOTICE,), Stage.ELIMINATE: (S.ELIM_NOTICE,)}
ANNOUNCED_STATUSES = (S.APPROVED, S.ANNOUNCED)


@dataclass
class Paper:
    """Everything printed on one notice or announcement."""

    kind: str  # "notice" (公示) or "announcement" (公告)
    stage: str
    village: Region
    cases: list[MonitoringCase]
    issuer: str
    issued_on: dt.date
    phone: str = ""
    since: dt.date | None = None  # eliminations announced: the period covered
    until: dt.date | None = None
    periods: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # per case, for notices

    @property
    def title(self) -> str:
        what = {
            ("notice", Stage.IDENTIFY): "防止返贫监测对象识别纳入公示",
            ("notice", Stage.ELIMINATE): "防止返贫监测对象风险消除公示",
            ("announcement", Stage.IDENTIFY): "防止返贫监测对象识别纳入公告",
            ("announcement", Stage.ELIMINATE): "防止返贫监测对象风险消除公告",
        }[(self.kind, self.stage)]
        return f"{self.village.name}{what}"

    @property
    def place(self) -> str:
        """市县乡村, as the heading under the title."""
        return self.village.full_name

    @property
    def period(self) -> tuple[dt.date, dt.date] | None:
        """The notice's period (first and last day) over all its households."""
        if not self.periods:
            return None
        return min(p[0] for p in self.periods), max(p[1] for p in self.periods)

    @property
    def periods_differ(self) -> bool:
        return len(set(self.periods)) > 1

    @property
    def objection_deadline(self) -> dt.date:
        """The last day an objection is received: the notice's last day, or for an announcement as many days
        from its issue as a notice lasts (notice_days)."""
        if self.kind == "notice" and self.period:
            return self.period[1]
        try:
            days = workflow_parameter("notice_days", self.village, self.issued_on)
        except MissingParameter:
            days = 5  # the legal minimum of a village notice (spec §3.7); a missing parameter must not block printing
        return self.issued_on + dt.timedelta(days=days - 1)

    @property
    def persons(self) -> int:
        return sum(c.household.member_count for c in self.cases)


def visible_village(user, pk: int) -> Region:
    """The village `pk` if `user` sees it; otherwise 404, exactly like a village that does not exist."""
    village = Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE, pk=pk).first()
    if village is None:
        raise Http404("未找到该村")
    return village


def _village_cases(village: Region, user):
    return (
        MonitoringCase.objects.visible_to(user)
        .filter(household__region=village)
        .select_related("household")
        .order_by("household__number", "pk")
    )


def notice_period(case: MonitoringCase, stage: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of the case's village notice; a notice of N days covers start … start + N − 1."""
    if stage == Stage.IDENTIFY:
        start, days = case.notice_start, case.notice_days
    else:
        start, days = case.elim_notice_start, case.elim_notice_days
    if start is None or not days:
        return None
    return start, notice_end(start, days) - dt.timedelta(days=1)


def notice_cases(village: Region, *, user, stage: str) -> list[MonitoringCase]:
    """The village's households now on notice for `stage` (status NOTICE or ELIM_NOTICE), in the user's scope."""
    return list(_village_cases(village, user).filter(status__in=NOTICE_STATUSES[stage]))


def announcement_cases(
    village: Region, *, user, stage: str, since: dt.date | None = None, until: dt.date | None = None
) -> list[MonitoringCase]:
    """Identification: the households approved by the county and not yet recorded (APPROVED, ANNOUNCED).
    Elimination: the households whose risk was eliminated between `since` and `until` (inclusive)."""
    cases = _village_cases(village, user)
    if stage == Stage.IDENTIFY:
        return list(cases.filter(status__in=ANNOUNCED_STATUSES))
    cases = cases.filter(status=S.ELIMINATED)
    if since:
        cases = cases.filter(eliminated_on__gte=since)
    if until:
        cases = cases.filter(eliminated_on__lte=until)
    return list(cases)


def attach_heads(cases: list[MonitoringCase]) -> None:
    """Give each case's household a `paper_head` (the Person who is 户主), in one query."""
    from fangpin.registry.models import Person

    heads = {
        p.household_id: p
        for p in Person.objects.filter(household__in=[c.household_id for c in cases], relation="head")
    }
    for case in cases:
        case.household.paper_head = heads.get(case.household_id)


# ---------------------------------------------------------------- PDF


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def cn_date(day: dt.date) -> str:
    """2026年1月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _intro(paper: Paper) -> str:
    n, people = len(paper.cases), paper.persons
    if paper.kind == "notice":
        period = paper.period
        span = (
            f"公示期为{cn_date(period[0])}至{cn_date(period[1])}。"
            if period and not paper.periods_differ
            else "各户公示期见下表。"
        )
        if paper.stage == Stage.IDENTIFY:
            return (
                "根据防止返贫动态监测和帮扶工作要求，经入户核实、部门数据比对和村民代表民主评议，"
                f"拟将以下{n}户{people}人纳入防止返贫监测对象，现予以公示。{span}"
            )
        return (
            "经入户核实和村民代表民主评议，以下监测对象的返贫致贫风险已稳定消除，"
            f"拟对{n}户{people}人标注风险消除，现予以公示。{span}"
        )
    if paper.stage == Stage.IDENTIFY:
        return (
            f"经村内公示无异议、乡镇审核和县级审定，确定以下{n}户{people}人为防止返贫监测对象，现予以公告。"
        )
    window = ""
    if paper.since and paper.until:
        window = f"{cn_date(paper.since)}至{cn_date(paper.until)}期间，"
    elif paper.until:
        window = f"截至{cn_date(paper.until)}，"
    return f"{window}经村内公示、乡镇核查和县级审定，以下{n}户{people}人的返贫致贫风险已消除，现予以公告。"


def _objection_text(paper: Paper) -> str:
    phone = paper.phone or "＿＿＿＿＿＿＿＿"
    when = "公示" if paper.kind == "notice" else "公告"
    return (
        f"{when}期间如有异议，请于{cn_date(paper.objection_deadline)}前（含当日）向村民委员会或"
        f"{paper.village.parent.name if paper.village.parent else '乡镇'}人民政府实名反映，"
        f"也可拨打乡镇监督电话：{phone}。"
        "反映情况应实事求是，我们将依法保护反映人的合法权益。"
    )


def table_rows(paper: Paper) -> list[list[str]]:
    """The table of the paper (header first), as printed: masked ID numbers, Chinese labels."""
    last = "风险类型" if paper.stage == Stage.IDENTIFY else "风险消除方式"
    header = ["序号", "户主姓名", "证件号码", "家庭人口数", "监测对象类别", last]
    with_period = paper.kind == "notice" and paper.periods_differ
    if with_period:
        header.append("公示期")
    rows = [header]
    for i, case in enumerate(paper.cases, start=1):
        head = getattr(case.household, "paper_head", None)
        if paper.stage == Stage.IDENTIFY:
            tail = "、".join(case.risk_labels)
        else:
            tail = EliminationMethod(case.elimination_method).label if case.elimination_method else ""
        row = [
            str(i),
            case.household.head_name,
            mask_id_number(head.id_number) if head else "",
            str(case.household.member_count),
            Category(case.category).label if case.category else "",
            tail,
        ]
        if with_period:
            period = paper.periods[i - 1]
            row.append(f"{period[0]:%m.%d}–{period[1]:%m.%d}")
        rows.append(row)
    return rows


def render_pdf(paper: Paper) -> bytes:
    """The paper as a landscape A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=24)
    title = ParagraphStyle("title", fontName=font, fontSize=20, leading=28, alignment=TA_CENTER)
    sub = ParagraphStyle("sub", fontName=font, fontSize=11, leading=16, alignment=TA_CENTER)
    cell = ParagraphStyle("cell", fontName=font, fontSize=10.5, leading=14, wordWrap="CJK")
    right = ParagraphStyle("right", fontName=font, fontSize=12, leading=20, alignment=TA_RIGHT)

    rows = table_rows(paper)
    data = [[Paragraph(escape(v), cell) for v in row] for row in rows]
    widths = [12, 28, 48, 26, 34, 0, 26][: len(rows[0])]
    page_width = landscape(A4)[0] - 36 * mm
    widths[5] = page_width / mm - sum(widths) + widths[5]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story = [
        Paragraph(escape(paper.title), title),
        Paragraph(escape(paper.place), sub),
        Spacer(1, 6 * mm),
        Paragraph(escape(_intro(paper)), body),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 4 * mm),
        Paragraph(escape(_objection_text(paper)), body),
        Spacer(1, 10 * mm),
        Paragraph(escape(f"{paper.issuer}（盖章）"), right),
        Paragraph(escape(cn_date(paper.issued_on)), right),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=paper.title,
        author=paper.issuer,
    )
    doc.build(story)
    return buffer.getvalue()


def default_issuer(village: Region, kind: str) -> str:
    """Who issues the paper: the village committee gives notice, the township government announces."""
    if kind == "notice":
        return f"{village.name}村民委员会" if village.name.endswith("村") else f"{village.name}居民委员会"
    township = village.parent
    return f"{township.name}人民政府" if township else "乡镇人民政府"


def build_paper(
    village: Region,
    *,
    user,
    kind: str,
    stage: str,
    issued_on: dt.date,
    phone: str = "",
    issuer: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Paper:
    """Collect the households of a notice or announcement of `village`, as `user` may see them."""
    if kind == "notice":
        cases = notice_cases(village, user=user, stage=stage)
    else:
        cases = announcement_cases(village, user=user, stage=stage, since=since, until=until)
    attach_heads(cases)
    paper = Paper(
        kind=kind,
        stage=stage,
        village=village,
        cases=cases,
        issuer=issuer or default_issuer(village, kind),
        issued_on=issued_on,
        phone=phone,
        since=since,
        until=until,
    )
    if kind == "notice":
        paper.periods = [notice_period(c, stage) or (issued_on, issued_on) for c in cases]
    return paper
