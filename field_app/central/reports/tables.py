"""The report as tables: what the dashboard, the XLSX, the CSV and the DOCX lay out.

`report_tables(figures)` turns one `Figures` into titled tables (headers, rows,
a total row, a chart hint and a drill-down per cell), so every output prints
the very same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from ...areas.logic import commune_label
from ..inbox.schemas import NO_UNIT, NONE
from .figures import (
    HANDLING,
    HANDLING_LABELS,
    HOUSEHOLDS_NOTE,
    SATISFACTION,
    SATISFACTION_LABELS,
    Figures,
)

# The inbox filter of a row with no value ("(chưa giao đơn vị)", "(chưa ghi)"), where the
# inbox has one.
EMPTY = {"unit": NO_UNIT, "source_org": NONE}


@dataclass
class Table:
    """One table of the report.

    `formats` per column: "text", "int", "percent" (a value in %, one decimal),
    "number" (an int as "int", a fraction as "percent") or "date" (a `date`, or None).
    `links` per row: the inbox filters behind the row's numbers (None: no drill-down).
    `chart`: "bar" (one value column), "stacked" (several), or None.
    """

    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    formats: list[str]
    total: list[Any] | None = None
    chart: str | None = None
    chart_columns: tuple[int, ...] = (1,)
    links: list[dict | None] = field(default_factory=list)
    note: str | None = None
    # Forums and villages drill down to the forum list, not the inbox.
    link_to: str = "inbox"
    label_column: int = 0
    # Filters one column adds to its row's (a handling table's "late" column: handling=late);
    # None: the column's numbers have no records of their own to show (a rank, a rate).
    column_filters: dict[int, dict | None] = field(default_factory=dict)
    # The filters of the total row's records (None: its numbers are not drilled down).
    total_filters: dict | None = None


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _date(iso: str | None) -> date | None:
    """Return a date cell (the XLSX writes a real date; the others print dd/mm/yyyy)."""
    return date.fromisoformat(iso) if iso else None


def _met(value: bool | None) -> str:
    if value is None:
        return _("Chưa có số liệu")
    return _("Đạt") if value else _("Không đạt")


def _count_table(key: str, title: str, head: str, rows: list[dict], link: str | None,
                 chart: str | None = "bar", keep_empty: bool = True) -> Table:
    shown = [row for row in rows if keep_empty or row["count"]]
    total = sum(row["count"] for row in shown)
    return Table(key, title, [head, _("Số ý kiến"), _("Tỷ lệ (%)")],
                 [[row["label"], row["count"],
                   round(100 * row["count"] / total, 1) if total else None] for row in shown],
                 ["text", "int", "percent"], [_("Tổng cộng"), total, 100.0 if total else None],
                 chart, (1,), [({link: row["key"] if row["key"] is not None else EMPTY[link]}
                                if link and (row["key"] is not None or link in EMPTY)
                                else None) for row in shown],
                 # The rows are every opinion of the period, one value each.
                 total_filters={} if link else None)


def report_tables(figures: Figures) -> list[Table]:
    """Return the report's tables in the order every output shows them."""
    data = figures.data
    forums, coverage, opinions = data["forums"], data["coverage"], data["opinions"]
    handling, late = data["handling"], data["handling"]["late_cases"]
    tables = []

    headline = [
        [_("Bản/thôn đã tổ chức hội nghị \"Chính quyền lắng nghe\" trong năm (%)"),
         coverage["percent"], coverage["target"], _met(coverage["met"])],
        [_("Hội nghị Chủ tịch UBND xã đối thoại với Nhân dân trong năm"),
         coverage["dialogues"], coverage["dialogues_target"],
         _met(coverage["dialogues"] >= coverage["dialogues_target"])],
        [_("Ý kiến, kiến nghị giải quyết đúng hạn (%)"), handling["on_time_percent"], 100,
         _met(None if handling["on_time_percent"] is None
              else handling["on_time_percent"] >= 100)],
        [_("Trường hợp trễ hạn có giải trình và xin lỗi (%)"),
         round(100 * late["both"] / late["total"], 1) if late["total"] else None, 100,
         _met(None if not late["total"] else late["both"] == late["total"])],
    ] + [[row["label"] + " (%)", row["percent"], row["target"], _met(row["met"])]
         for row in data["satisfaction"]]
    tables.append(Table("targets", _("Kết quả so với chỉ tiêu"),
                        [_("Chỉ tiêu"), _("Kết quả"), _("Mục tiêu"), _("Đánh giá")],
                        headline, ["text", "number", "int", "text"],
                        links=[None] * len(headline)))

    tables.append(Table(
        "forums", _("Hội nghị theo loại"), [_("Loại hội nghị"), _("Số hội nghị")],
        [[row["label"], row["count"]] for row in forums["by_kind"]], ["text", "int"],
        [_("Tổng cộng"), forums["total"]], "bar", (1,),
        [{"kind": row["key"]} for row in forums["by_kind"]],
        link_to="forums"))
    attendance = forums["attendance"]
    tables.append(Table(
        "attendance", _("Người dự hội nghị"),
        [_("Tổng số người dự"), _("Nữ"), _("Dân tộc thiểu số"), _("Số hộ có đại diện"),
         _("Số hộ của các bản đã họp"), _("Tỷ lệ hộ có đại diện (%)")],
        [[attendance["total"], attendance["women"], attendance["ethnic_minority"],
          attendance["households_represented"], attendance["households"],
          round(100 * attendance["households_represented"] / attendance["households"], 1)
          if attendance["households"] else None]],
        ["int", "int", "int", "int", "int", "percent"], links=[None],
        note=str(HOUSEHOLDS_NOTE)))
    tables.append(Table(
        "coverage", _("Bản/thôn chưa tổ chức hội nghị \"Chính quyền lắng nghe\" trong năm"),
        [_("Bản/thôn"), _("Xã")],
        [[row["name"], commune_label(row["commune"])] for row in coverage["missing"]],
        ["text", "text"], [_("Còn thiếu: %(n)d / %(all)d bản", n=len(coverage["missing"]),
                             all=coverage["villages"]), ""],
        links=[{"village": row["id"]} for row in coverage["missing"]], link_to="forums",
        note=_("Tính từ %(start)s đến %(end)s (năm báo cáo).", start=_day(coverage["from"]),
               end=_day(coverage["to"]))))

    tables.append(_count_table("by_kind", _("Ý kiến theo loại"), _("Loại"),
                               opinions["by_kind"], "kind"))
    tables.append(_count_table("by_category", _("Ý kiến theo lĩnh vực"), _("Lĩnh vực"),
                               opinions["by_category"], "category"))
    if "by_village" in opinions:
        tables.append(_count_table("by_village", _("Ý kiến theo bản/thôn"), _("Bản/thôn"),
                                   opinions["by_village"], "village"))
    else:
        tables.append(_count_table("by_commune", _("Ý kiến theo xã"), _("Xã"),
                                   opinions["by_commune"], "commune"))
    tables.append(_count_table("by_level", _("Ý kiến theo cấp giải quyết"), _("Cấp"),
                               opinions["by_level"], "level"))
    tables.append(_count_table("by_channel", _("Ý kiến theo kênh tiếp nhận"), _("Kênh"),
                               opinions["by_channel"], "channel"))
    tables.append(_count_table("by_source_org", _("Ý kiến do MTTQ và các đoàn thể chuyển"),
                               _("Tổ chức"), opinions["by_source_org"], "source_org"))
    tables.append(_count_table("by_status", _("Ý kiến theo trạng thái"), _("Trạng thái"),
                               opinions["by_status"], "status"))
    spot = opinions["answered_on_spot"]
    tables.append(Table("on_spot", _("Trả lời ngay tại hội nghị"),
                        [_("Tổng số ý kiến"), _("Đã trả lời tại hội nghị"), _("Tỷ lệ (%)")],
                        [[opinions["total"], spot,
                          round(100 * spot / opinions["total"], 1) if opinions["total"]
                          else None]], ["int", "int", "percent"], links=[{}]))

    head = [_("Đơn vị")] + [str(HANDLING_LABELS[b]) for b in HANDLING] + [
        _("Tổng"), _("Tỷ lệ đúng hạn (%)")]
    fmt = ["text"] + ["int"] * 5 + ["percent"]
    total_row = [_("Tổng cộng")] + [handling[b] for b in HANDLING] + [
        handling["total"], handling["on_time_percent"]]
    tables.append(Table(
        "handling_unit", _("Giải quyết theo đơn vị"), head,
        [[row["label"]] + [row[b] for b in HANDLING] + [row["total"], row["on_time_percent"]]
         for row in handling["by_unit"]], fmt, total_row, "stacked", (1, 2, 3, 4),
        [{"unit": EMPTY["unit"] if row["key"] is None else row["key"], "handling": "any"}
         for row in handling["by_unit"]],
        column_filters={n: {"handling": b} for n, b in enumerate(HANDLING, 1)},
        total_filters={"handling": "any"}))
    tables.append(Table(
        "handling_commune", _("Giải quyết theo xã"), [_("Xã")] + head[1:],
        [[row["label"]] + [row[b] for b in HANDLING] + [row["total"], row["on_time_percent"]]
         for row in handling["by_commune"]], fmt, total_row, "stacked", (1, 2, 3, 4),
        [{"commune": row["key"], "handling": "any"} for row in handling["by_commune"]],
        column_filters={n: {"handling": b} for n, b in enumerate(HANDLING, 1)},
        total_filters={"handling": "any"}))
    tables.append(Table(
        "late_cases", _("Vụ việc trễ hạn: giải trình và xin lỗi"),
        [_("Trễ hạn"), _("Có giải trình của thủ trưởng đơn vị"), _("Đã xin lỗi người dân"),
         _("Có đủ cả hai"), _("Còn thiếu")],
        [[late["total"], late["explained"], late["apologised"], late["both"],
          late["missing"]]], ["int"] * 5,
        # Cases, not opinions: the inbox's late opinions would be another number (a case
        # of three opinions is one); the late list beneath names them.
        links=[None]))

    tables.append(Table(
        "satisfaction", _("Mức độ hài lòng so với chỉ tiêu"),
        [_("Chỉ tiêu")] + [str(SATISFACTION_LABELS[v]) for v in SATISFACTION] + [
            _("Tỷ lệ hài lòng (%)"), _("Mục tiêu (%)"), _("Đánh giá"), _("Tính trên")],
        [[row["label"]] + [row[v] for v in SATISFACTION] + [
            row["percent"], row["target"], _met(row["met"]), row["source"]]
         for row in data["satisfaction"]],
        ["text"] + ["int"] * 4 + ["percent", "int", "text", "text"], None, "bar", (5,),
        [None] * len(data["satisfaction"]),
        note=_("Tỷ lệ hài lòng = Hài lòng / (Hài lòng + Chưa hài lòng); \"Không rõ\" và "
               "\"Không có mặt\" không tính vào mẫu số.")))

    late_rows = data["late_list"]
    personal = any("raiser_name" in row for row in late_rows)
    late_head = [_("Trạng thái"), _("Hạn trả lời"), _("Ngày trả lời"), _("Bản/thôn"),
                 _("Lĩnh vực"), _("Đơn vị xử lý"), _("Nội dung")]
    if personal:
        late_head += [_("Người nêu"), _("Số điện thoại")]
    tables.append(Table(
        "late_list", _("Ý kiến trễ hạn và quá hạn"), late_head,
        [[str(HANDLING_LABELS[row["bucket"]]), _date(row["due_on"]), _date(row["answer_date"]),
          row["village"], row["category"], row["unit"], row["content"]]
         + ([row.get("raiser_name") or "", row.get("raiser_phone") or ""] if personal else [])
         for row in late_rows], ["text", "date", "date"] + ["text"] * (len(late_head) - 3),
        links=[{"handling": row["bucket"]} for row in late_rows]))

    if data["communes"]:
        tables.append(Table(
            "communes", _("Các xã, xếp hạng"),
            [_("Hạng"), _("Xã"), _("Số bản"), _("Bản đã tổ chức"), _("Tỷ lệ bản (%)"),
             _("Đối thoại"), _("Hội nghị trong kỳ"), _("Ý kiến"), _("Đúng hạn"),
             _("Trễ hạn"), _("Quá hạn"), _("Trong hạn"), _("Tỷ lệ đúng hạn (%)"),
             _("Tỷ lệ hài lòng (%)")],
            [[row["rank"], row["name"], row["villages"], row["villages_held"],
              row["coverage_percent"], row["dialogues"], row["forums"], row["opinions"],
              row["on_time"], row["late"], row["overdue"], row["open"],
              row["on_time_percent"], row["satisfied_percent"]] for row in data["communes"]],
            ["int", "text", "int", "int", "percent", "int", "int", "int", "int", "int", "int",
             "int", "percent", "percent"], None, "bar", (4,),
            [{"commune": str(row["commune"])} for row in data["communes"]],
            note=_("Xếp theo tỷ lệ bản đã tổ chức hội nghị, rồi tỷ lệ giải quyết đúng hạn, "
                   "rồi số việc quá hạn (ít hơn xếp trên)."), label_column=1,
            # The commune's opinions, and those of each handling state; villages, forums
            # and rates have no opinions of their own behind them.
            column_filters={**dict.fromkeys((0, 2, 3, 4, 5, 6, 12, 13)), 7: {},
                            **{n: {"handling": b} for n, b in enumerate(HANDLING, 8)}}))
    return tables
