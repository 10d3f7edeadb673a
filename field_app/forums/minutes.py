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
        category=clean(labels.category_label(
            opinion.category_code, opinion.category.name if opinion.category else None)),
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
        return labels.category_label(value, category.name if category else None)
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


def render_docx(m: Minutes) -> io.BytesIO:
    """Return the minutes as a Word file (A4, Nghị định 30/2020 layout)."""
    # python-docx (and lxml) on demand: ~0.1 s of every start otherwise.
    from .minutes_docx import render_docx as render

    return render(m)
