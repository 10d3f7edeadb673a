"""The minutes (biên bản) of a forum: one model, printed as HTML or DOCX.

`build(forum)` reads the forum once and returns a `Minutes` holding every
string both renderers print, already translated and cleaned; the HTML
template and `render_docx` only lay it out. The layout follows Nghị định
30/2020 (issuing body and national motto side by side, number/symbol "BB",
place and date, A4, Times New Roman).
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import gettext as _
from flask_babel import to_user_timezone

from .. import labels
from ..areas.models import Village
from ..opinions.logic import forum_opinions
from ..text import count as _num
from ..text import fold
from .logic import decision_passed
from .models import Forum

FONT = "Times New Roman"
BLANK = "…………………………"
# Characters XML 1.0 forbids (python-docx refuses them); \v and \f from a
# pasted Word text are line breaks, the rest is noise.
_XML_BREAKS = re.compile(r"[\x0b\x0c]")
_XML_INVALID = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_COMMUNE_TYPES = ("xa", "phuong", "dac khu", "thi tran")


def clean(value) -> str:
    """Return `value` as text an XML document accepts; None becomes ""."""
    if value is None:
        return ""
    text = _XML_BREAKS.sub("\n", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return _XML_INVALID.sub("", text)


def _or_blank(value) -> str:
    text = clean(value).strip()
    return text or BLANK


def nd30_date(value: datetime) -> str:
    """Return "ngày 05 tháng 01 năm 2026": zero before days < 10 and months 1, 2."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return _("ngày %(day)s tháng %(month)s năm %(year)d",
             day=f"{value.day:02d}", month=month, year=value.year)


def _clock(value: datetime) -> str:
    return _("%(h)s giờ %(m)s phút", h=f"{value.hour:02d}", m=f"{value.minute:02d}")


def commune_short_name(name: str) -> str:
    """Return the commune's name without its type word: "Xã Mường La" -> "Mường La"."""
    words = name.split()
    for size in (2, 1):
        if len(words) > size and fold(" ".join(words[:size])) in _COMMUNE_TYPES:
            return " ".join(words[size:])
    return name


def village_title(village: Village) -> str:
    """Return the village name with its kind word: "Nà Lò" (bản) -> "Bản Nà Lò"."""
    kind = str(labels.VILLAGE_KIND_LABELS.get(village.kind, ""))
    if not kind or fold(village.name).startswith(fold(kind)):
        return village.name
    return f"{kind} {village.name}"


@dataclass(frozen=True)
class Fact:
    """One "label: value" line of the minutes."""

    label: str
    value: str


@dataclass(frozen=True)
class OpinionLine:
    number: int
    raiser: str
    on_behalf: str
    kind: str
    category: str
    content: str
    answered: bool
    answer_by: str
    answer: str
    pending: str  # what happens to an opinion not answered on the spot


@dataclass(frozen=True)
class DecisionLine:
    number: int
    text: str
    votes_for: str
    votes_against: str
    votes_abstain: str
    result: str


@dataclass(frozen=True)
class AmendmentLine:
    number: int
    when: str
    subject: str
    old: str
    new: str
    reason: str
    author: str


@dataclass(frozen=True)
class Signature:
    role: str
    hint: str
    name: str


@dataclass(frozen=True)
class Texts:
    """Headings and fixed words, translated once."""

    time_place: str
    participants: str
    agenda: str
    opinions: str
    decisions: str
    summary: str
    amendments: str
    opinion_answer: str
    no_opinions: str
    no_decisions: str
    decision_columns: tuple[str, ...]
    amendment_old: str
    amendment_new: str
    amendment_reason: str
    print_button: str
    back: str
    download: str


@dataclass(frozen=True)
class Minutes:
    """Everything the printed minutes say, computed once by `build`."""

    forum_id: uuid.UUID
    draft: bool
    draft_mark: str
    parent_body: str
    body: str
    nation: str
    motto: str
    number_line: str
    place_date: str
    title: str
    subtitle: str
    subject: str
    texts: Texts
    time_place: list[Fact]
    participants: list[Fact]
    agenda: str
    opinions: list[OpinionLine]
    decisions: list[DecisionLine]
    decision_rule: str
    summary: str
    amendments: list[AmendmentLine]
    closing: str
    signatures: tuple[Signature, Signature]
    document_title: str


def _texts() -> Texts:
    return Texts(
        time_place="I. " + _("Thời gian, địa điểm").upper(),
        participants="II. " + _("Thành phần tham dự").upper(),
        agenda="III. " + _("Chương trình hội nghị").upper(),
        opinions="IV. " + _("Ý kiến của Nhân dân và trả lời tại chỗ").upper(),
        decisions="V. " + _("Biểu quyết").upper(),
        summary="VI. " + _("Kết luận của hội nghị").upper(),
        amendments="VII. " + _("Đính chính sau khi chốt biên bản").upper(),
        opinion_answer=_("Trả lời tại chỗ"),
        no_opinions=_("Không có ý kiến nào được ghi."),
        no_decisions=_("Hội nghị không biểu quyết nội dung nào."),
        decision_columns=(_("TT"), _("Nội dung biểu quyết"), _("Tán thành"),
                          _("Không tán thành"), _("Không biểu quyết"), _("Kết quả")),
        amendment_old=_("Nội dung cũ"),
        amendment_new=_("Nội dung mới"),
        amendment_reason=_("Lý do"),
        print_button=_("In biên bản"),
        back=_("Quay lại hội nghị"),
        download=_("Tải bản Word (DOCX)"),
    )


def _raiser(opinion) -> str:
    if opinion.identity_protected:
        return _("Giữ bí mật danh tính người tố cáo")
    if opinion.anonymous:
        return _("Giấu tên")
    name = clean(opinion.raiser_name).strip()
    if not name:
        return _("Không ghi tên")
    if opinion.raiser_gender == "male":
        return _("Ông %(name)s", name=name)
    if opinion.raiser_gender == "female":
        return _("Bà %(name)s", name=name)
    return name


def _opinion_line(opinion) -> OpinionLine:
    on_behalf = ""
    if opinion.on_behalf_households:
        on_behalf = _("thay mặt %(n)s hộ", n=_num(opinion.on_behalf_households))
    pending = ""
    if not opinion.answered_on_spot:
        pending = _("Chưa trả lời tại chỗ; tiếp thu, chuyển giải quyết (cấp giải quyết: "
                    "%(level)s).", level=labels.LEVEL_LABELS.get(opinion.level, opinion.level))
    return OpinionLine(
        number=opinion.position, raiser=_raiser(opinion), on_behalf=on_behalf,
        kind=str(labels.OPINION_KIND_LABELS.get(opinion.kind, opinion.kind)),
        category=clean(opinion.category.name if opinion.category else opinion.category_code),
        content=clean(opinion.content), answered=bool(opinion.answered_on_spot),
        answer_by=clean(opinion.spot_answer_by).strip(), answer=clean(opinion.spot_answer),
        pending=pending)


def _result(passed: bool | None) -> str:
    if passed is True:
        return _("Thông qua")
    if passed is False:
        return _("Không thông qua")
    return _("Chưa đủ số liệu")


def _decision_rule(forum: Forum) -> str:
    if forum.households_represented:
        return _("Nội dung được thông qua khi số tán thành nhiều hơn một nửa số hộ có đại diện "
                 "dự họp (%(n)s hộ).", n=_num(forum.households_represented))
    if forum.attendance_total:
        return _("Nội dung được thông qua khi số tán thành nhiều hơn một nửa số người dự họp "
                 "(%(n)s người).", n=_num(forum.attendance_total))
    return ""


def _pretty_value(field: str, target: str, value: str | None, villages: dict) -> str:
    """Return an amendment's stored value as people read it."""
    if value is None or value == "":
        return _("(trống)")
    if field == "kind":
        table = labels.FORUM_KIND_LABELS if target == "forum" else labels.OPINION_KIND_LABELS
        return str(table.get(value, value))
    if field == "village_id":
        return villages.get(value, value)
    if value in ("True", "False"):
        return _("Có") if value == "True" else _("Không")
    table = {"level": labels.LEVEL_LABELS, "channel": labels.CHANNEL_LABELS,
             "raiser_gender": labels.GENDER_LABELS,
             "source_org": labels.SOURCE_ORG_LABELS}.get(field)
    if table is not None:
        return str(table.get(value, value))
    if field == "category_code":
        from ..extensions import db
        from ..opinions.models import Category

        category = db.session.get(Category, value)
        return category.name if category else value
    return clean(value)


def _amendment_lines(forum: Forum, numbers: dict) -> list[AmendmentLine]:
    villages = {str(forum.village.id): forum.village.name}
    for village in forum.village.commune.villages:
        villages[str(village.id)] = village.name
    rows = []
    for index, amendment in enumerate(forum.amendments, start=1):
        field = str(labels.FIELD_LABELS.get(amendment.field, amendment.field))
        if amendment.target == "opinion":
            number = numbers.get(amendment.target_id)
            subject = (_("Ý kiến số %(n)d – %(field)s", n=number, field=field) if number
                       else _("Ý kiến – %(field)s", field=field))
        else:
            subject = field
        local = to_user_timezone(amendment.created_at)
        rows.append(AmendmentLine(
            number=index, subject=subject,
            when=_("%(time)s ngày %(date)s", time=local.strftime("%H:%M"),
                   date=local.strftime("%d/%m/%Y")),
            old=_pretty_value(amendment.field, amendment.target, amendment.old_value, villages),
            new=_pretty_value(amendment.field, amendment.target, amendment.new_value, villages),
            reason=clean(amendment.reason), author=clean(amendment.author)))
    return rows


def _subject(forum: Forum, village_name: str) -> str:
    if forum.title:
        return clean(forum.title).strip()
    return _("tại %(village)s, %(date)s", village=village_name,
             date=nd30_date(forum.started_at))


def _closing(forum: Forum) -> str:
    if forum.ended_at is None:
        return _("Hội nghị kết thúc lúc ….. giờ ….. phút cùng ngày./.")
    if forum.ended_at.date() == forum.started_at.date():
        return _("Hội nghị kết thúc lúc %(time)s cùng ngày./.", time=_clock(forum.ended_at))
    return _("Hội nghị kết thúc lúc %(time)s, %(date)s./.", time=_clock(forum.ended_at),
             date=nd30_date(forum.ended_at))


def build(forum: Forum) -> Minutes:
    """Return the minutes of `forum`, ready for the HTML page or the DOCX file."""
    village = forum.village
    commune = village.commune
    village_name = clean(village_title(village))
    short = clean(commune_short_name(commune.name))

    started = forum.started_at
    time_place = [Fact(_("Thời gian bắt đầu"), f"{_clock(started)}, {nd30_date(started)}")]
    if forum.ended_at is not None:
        time_place.append(Fact(_("Thời gian kết thúc"), _clock(forum.ended_at) + (
            "" if forum.ended_at.date() == started.date() else f", {nd30_date(forum.ended_at)}")))
    time_place.append(Fact(_("Địa điểm"), _or_blank(forum.venue)))

    attendance = BLANK
    if forum.attendance_total is not None:
        attendance = _("%(n)s người", n=_num(forum.attendance_total))
        parts = []
        if forum.attendance_women is not None:
            parts.append(_("nữ: %(n)s", n=_num(forum.attendance_women)))
        if forum.attendance_ethnic_minority is not None:
            parts.append(_("người dân tộc thiểu số: %(n)s",
                           n=_num(forum.attendance_ethnic_minority)))
        if parts:
            attendance += " (" + _("trong đó") + " " + "; ".join(parts) + ")"
    households = BLANK
    if forum.households_represented is not None:
        households = (_("%(n)s/%(total)s hộ của %(village)s", n=_num(forum.households_represented),
                        total=_num(village.households), village=village_name)
                      if village.households else
                      _("%(n)s hộ", n=_num(forum.households_represented)))
    participants = [
        Fact(_("Chủ trì"), _or_blank(forum.chair)),
        Fact(_("Thư ký"), _or_blank(forum.secretary)),
        # One per line in the form; one line in the minutes, separated by semicolons.
        Fact(_("Đại biểu, cán bộ xã dự"), _or_blank("; ".join(
            line.strip() for line in clean(forum.officials_present).splitlines() if line.strip()))),
        Fact(_("Tổng số người dự"), attendance),
        Fact(_("Số hộ có đại diện"), households),
    ]

    opinions = forum_opinions(forum)
    numbers = {opinion.id: opinion.position for opinion in opinions}
    decisions = [
        DecisionLine(number=index, text=clean(d.text), votes_for=_num(d.votes_for),
                     votes_against=_num(d.votes_against), votes_abstain=_num(d.votes_abstain),
                     result=_result(decision_passed(forum, d)))
        for index, d in enumerate(forum.decisions, start=1)
    ]
    kind = str(labels.FORUM_KIND_LABELS.get(forum.kind, forum.kind))
    if forum.kind == "other":
        kind = _("Hội nghị")
    date_line = f"{short}, {nd30_date(started)}"
    return Minutes(
        forum_id=forum.id,
        draft=not forum.is_finalised,
        draft_mark=_("DỰ THẢO"),
        parent_body=_("UBND %(commune)s", commune=clean(commune.name)).upper(),
        body=village_name.upper(),
        nation=_("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        motto=_("Độc lập - Tự do - Hạnh phúc"),
        number_line=_("Số: ....../BB-......"),
        place_date=date_line,
        title=_("BIÊN BẢN"),
        subtitle=re.sub(r'"([^"]*)"', "“\\1”", clean(kind)),
        subject=_subject(forum, village_name),
        texts=_texts(),
        time_place=time_place,
        participants=participants,
        agenda=_or_blank(forum.agenda),
        opinions=[_opinion_line(opinion) for opinion in opinions],
        decisions=decisions,
        decision_rule=_decision_rule(forum) if decisions else "",
        summary=_or_blank(forum.summary),
        amendments=_amendment_lines(forum, numbers),
        closing=_closing(forum),
        signatures=(
            Signature(_("THƯ KÝ"), _("(Ký, ghi rõ họ tên)"), clean(forum.secretary).strip()),
            Signature(_("CHỦ TRÌ"), _("(Ký, ghi rõ họ tên)"), clean(forum.chair).strip()),
        ),
        document_title=_("Biên bản") + f" {clean(kind)} – {village_name} – "
                                          f"{started.strftime('%d/%m/%Y')}",
    )


def filename(forum: Forum) -> str:
    """Return an ASCII file name: "bien-ban-ban-na-lo-2026-11-20.docx"."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(village_title(forum.village))).strip("-")
    return f"bien-ban-{slug or 'hoi-nghi'}-{forum.started_at:%Y-%m-%d}.docx"


# ---------------------------------------------------------------- DOCX ----

BODY_SIZE = Pt(14)
SMALL_SIZE = Pt(13)
AFTER = Pt(6)  # space after a body paragraph
TEXT_WIDTH = Cm(16)  # 21 cm less 3 cm left and 2 cm right margins


def _set_fonts(element_rpr) -> None:
    """Put Times New Roman on every script of a w:rPr, dropping theme fonts."""
    fonts = element_rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element_rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    lang = element_rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        element_rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")


def _setup_document(doc, m: Minutes) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.header_distance, section.footer_distance = Cm(1), Cm(1)

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_fonts(rpr)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element.get_or_add_rPr())
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(6)
    fmt.line_spacing = 1.15

    # Word and LibreOffice: do not stretch a justified line ending in a manual break.
    compat = doc.settings.element.find(qn("w:compat"))
    if compat is None:
        compat = OxmlElement("w:compat")
        doc.settings.element.append(compat)
    compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))

    props = doc.core_properties
    props.title = m.document_title
    props.author = "Lắng Nghe"
    props.language = "vi-VN"
    props.comments = ""

    # Page numbers from page 2, centred at the top (Nghị định 30/2020);
    # a draft says so on every page.
    section.different_first_page_header_footer = True
    first = section.first_page_header.paragraphs[0]
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(header)
    if m.draft:
        for paragraph in (first, section.header.add_paragraph()):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(m.draft_mark)
            run.bold = True
            _box(paragraph)


def _page_field(paragraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _box(paragraph) -> None:
    """Draw a border around a paragraph (the draft mark)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "8")
        edge.set(qn("w:space"), "2")
        edge.set(qn("w:color"), "auto")
        borders.append(edge)
    ppr.append(borders)
    paragraph.paragraph_format.left_indent = Cm(13.3)


def _para(container, text: str = "", *, bold=False, italic=False, underline=False,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, size=None, indent: bool = True,
          after=AFTER, keep_next=False):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after = after
    if indent:
        fmt.first_line_indent = Cm(1)
    if keep_next:
        fmt.keep_with_next = True
    if text:
        _run(paragraph, text, bold=bold, italic=italic, underline=underline, size=size)
    return paragraph


def _lines(doc, text: str, **kwargs) -> None:
    """Write multi-line text as one paragraph a line: a justified line ending
    in a manual break would be stretched across the page."""
    for line in text.split("\n"):
        if line.strip():
            _para(doc, line, **kwargs)


def _run(paragraph, text: str, *, bold=False, italic=False, underline=False, size=None):
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    run.underline = underline or None
    if size is not None:
        run.font.size = size
    return run


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "nil")
        borders.append(edge)
    tbl_pr.append(borders)


def _widths(table, widths) -> None:
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _cell_para(cell, text: str = "", first: bool = False, **kwargs):
    """Write into a table cell: its first (empty) paragraph, or a new one."""
    kwargs.setdefault("align", WD_ALIGN_PARAGRAPH.CENTER)
    kwargs.setdefault("indent", False)
    kwargs.setdefault("after", Pt(0))
    if first:
        paragraph = cell.paragraphs[0]
        paragraph.alignment = kwargs.pop("align")
        paragraph.paragraph_format.space_after = kwargs.pop("after")
        kwargs.pop("indent")
        if text:
            _run(paragraph, text, **kwargs)
        return paragraph
    return _para(cell, text, **kwargs)


def _no_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _header(doc, m: Minutes) -> None:
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, (Cm(6.5), Cm(9.5)))
    left, right = table.rows[0].cells
    _cell_para(left, m.parent_body, first=True, size=SMALL_SIZE)
    _cell_para(left, m.body, bold=True, underline=True, size=SMALL_SIZE)
    _cell_para(right, m.nation, first=True, bold=True, size=Pt(12))
    _cell_para(right, m.motto, bold=True, underline=True, size=SMALL_SIZE)
    number, place = table.rows[1].cells
    _cell_para(number, m.number_line, first=True, size=SMALL_SIZE).paragraph_format.space_before \
        = Pt(6)
    _cell_para(place, m.place_date, first=True, italic=True,
               size=SMALL_SIZE).paragraph_format.space_before = Pt(6)


def _facts(doc, facts: list[Fact]) -> None:
    for fact in facts:
        paragraph = _para(doc)
        _run(paragraph, f"- {fact.label}: ")
        _run(paragraph, fact.value)


def _heading(doc, text: str) -> None:
    _para(doc, text, bold=True, indent=True, keep_next=True, align=WD_ALIGN_PARAGRAPH.LEFT)


def _opinions(doc, m: Minutes) -> None:
    if not m.opinions:
        _para(doc, m.texts.no_opinions, italic=True)
        return
    for line in m.opinions:
        lead = _para(doc, keep_next=True)
        who = line.raiser + (f" ({line.on_behalf})" if line.on_behalf else "")
        _run(lead, f"{line.number}. {who}", bold=True)
        _run(lead, f" – {line.kind}, {line.category}:", italic=True)
        _lines(doc, line.content)
        answer = _para(doc)
        if line.answered:
            by = f" ({line.answer_by})" if line.answer_by else ""
            _run(answer, f"{m.texts.opinion_answer}{by}: ", bold=True, italic=True)
            first, _sep, rest = line.answer.partition("\n")
            _run(answer, first)
            _lines(doc, rest)
        else:
            _run(answer, line.pending, italic=True)


def _decisions(doc, m: Minutes) -> None:
    if not m.decisions:
        _para(doc, m.texts.no_decisions, italic=True)
        return
    table = doc.add_table(rows=1, cols=6)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Cm(1), Cm(5.9), Cm(2.2), Cm(2.3), Cm(2.3), Cm(2.3))
    for cell, text in zip(table.rows[0].cells, m.texts.decision_columns, strict=True):
        _cell_para(cell, text, first=True, bold=True, size=SMALL_SIZE)
    header_pr = table.rows[0]._tr.get_or_add_trPr()
    header_pr.append(OxmlElement("w:tblHeader"))
    for line in m.decisions:
        cells = table.add_row().cells
        values = (str(line.number), line.text, line.votes_for, line.votes_against,
                  line.votes_abstain, line.result)
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if index == 1 else WD_ALIGN_PARAGRAPH.CENTER
            _cell_para(cell, text, first=True, align=align, size=SMALL_SIZE)
    for row in table.rows:
        _no_split(row)
    _widths(table, widths)
    if m.decision_rule:
        _para(doc, m.decision_rule, italic=True, size=SMALL_SIZE).paragraph_format.space_before \
            = Pt(6)


def _amendments(doc, m: Minutes) -> None:
    for line in m.amendments:
        lead = _para(doc, keep_next=True)
        _run(lead, f"{line.number}. {line.when} – {line.author}: ", bold=True)
        _run(lead, line.subject, italic=True)
        for label, value in ((m.texts.amendment_old, line.old), (m.texts.amendment_new, line.new),
                             (m.texts.amendment_reason, line.reason)):
            paragraph = _para(doc)
            _run(paragraph, f"- {label}: ")
            _run(paragraph, value)


def _signatures(doc, m: Minutes) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, (Cm(8), Cm(8)))
    _no_split(table.rows[0])
    for cell, signature in zip(table.rows[0].cells, m.signatures, strict=True):
        _cell_para(cell, signature.role, first=True, bold=True)
        _cell_para(cell, signature.hint, italic=True, size=SMALL_SIZE)
        for _blank in range(4):
            _cell_para(cell)
        _cell_para(cell, signature.name, bold=True)


def render_docx(m: Minutes) -> io.BytesIO:
    """Return the minutes as a Word document (A4, Times New Roman)."""
    doc = Document()
    _setup_document(doc, m)
    _header(doc, m)
    _para(doc, m.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
          after=Pt(0)).paragraph_format.space_before = Pt(18)
    _para(doc, m.subtitle, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, after=Pt(0))
    _para(doc, m.subject, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
          after=Pt(12))

    _heading(doc, m.texts.time_place)
    _facts(doc, m.time_place)
    _heading(doc, m.texts.participants)
    _facts(doc, m.participants)
    _heading(doc, m.texts.agenda)
    _lines(doc, m.agenda)
    _heading(doc, m.texts.opinions)
    _opinions(doc, m)
    _heading(doc, m.texts.decisions)
    _decisions(doc, m)
    _heading(doc, m.texts.summary)
    _lines(doc, m.summary)
    _para(doc, m.closing, keep_next=True, after=Pt(12)).paragraph_format.space_before = Pt(6)
    _signatures(doc, m)
    # After the signatures: amendments were not part of what was signed.
    if m.amendments:
        _heading(doc, m.texts.amendments)
        _amendments(doc, m)

    out = io.BytesIO()
    doc.save(out)
    out.seek(0)
    return out
