"""A record's history as people read it: field names and values in words, personal data hidden.

The audit lines (models.AuditEntry) keep raw values; this module only presents them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone

from ... import labels
from ...text import file_size
from .models import AuditEntry

# Office columns and the projection's own, on top of the laptop's FIELD_LABELS.
FIELD_NAMES: dict[str, Any] = {
    **labels.FIELD_LABELS,
    "category_name": _l("Tên lĩnh vực"),
    "forum_id": _l("Hội nghị"),
    "spoken_on": _l("Ngày nêu tại hội nghị"),
    "received_on": _l("Ngày tiếp nhận"),
    "recorded_at": _l("Ghi trên máy lúc"),
    "deleted": _l("Đã xoá"),
    "status": _l("Trạng thái"),
    "unit_id": _l("Đơn vị xử lý"),
    "due_on": _l("Hạn xử lý"),
    "answer_text": _l("Nội dung trả lời"),
    "answer_date": _l("Ngày trả lời"),
    "answer_doc_number": _l("Số văn bản trả lời"),
    "satisfaction": _l("Mức độ hài lòng"),
    "satisfaction_at": _l("Ghi nhận mức độ hài lòng lúc"),
    "satisfaction_by": _l("Văn phòng ghi nhận mức độ hài lòng"),
    "finalised_at": _l("Chốt biên bản lúc"),
    "opinion_id": _l("Ý kiến"),
    "filename": _l("Tên tệp"),
    "mime_type": _l("Loại tệp"),
    "size": _l("Cỡ tệp"),
    "sha256": _l("Mã SHA-256"),
    # Cases (cases/logic.py)
    "case_id": _l("Vụ việc số"),
    "merged_into": _l("Gộp vào ý kiến"),
    "assigned_on": _l("Ngày giao"),
    "accept_due_on": _l("Hạn thụ lý"),
    "complex": _l("Vụ việc phức tạp"),
    "remote": _l("Vùng sâu, vùng xa"),
    "extensions": _l("Gia hạn"),
    "answered_at": _l("Trả lời lúc"),
    "closed_at": _l("Đóng lúc"),
    "late_explanation": _l("Giải trình trễ hạn"),
    "late_explained_by": _l("Người giải trình"),
    "apology_on": _l("Ngày xin lỗi người dân"),
    "apology_how": _l("Hình thức xin lỗi"),
    "apology_by": _l("Người xin lỗi"),
}
VALUE_LABELS: dict[str, dict] = {
    "kind": {**labels.OPINION_KIND_LABELS, **labels.FORUM_KIND_LABELS},
    "channel": labels.CHANNEL_LABELS,
    "source_org": labels.SOURCE_ORG_LABELS,
    "level": labels.LEVEL_LABELS,
    "status": {**labels.WORKFLOW_STATUS_LABELS, **labels.FORUM_STATUS_LABELS},
    "raiser_gender": labels.GENDER_LABELS,
    "category_code": labels.CATEGORY_LABELS,
    "satisfaction": labels.SATISFACTION_LABELS,
}
ACTIONS = {
    "received": _l("nhận từ máy bản"),
    "changed": _l("máy bản sửa"),
    "deleted": _l("máy bản xoá"),
    "updated": _l("sửa trên máy chủ xã"),
    # Case work is done by the office or by a unit's handler: the account is named.
    "merged": _l("gộp vào một vụ việc"),
    "opened": _l("mở vụ việc riêng cho ý kiến này"),
    "added_to_case": _l("thêm vào vụ việc"),
    "split": _l("tách khỏi vụ việc"),
    "case": _l("xử lý vụ việc"),
    "identity_sealed": _l("danh tính người tố cáo được niêm phong"),
    "identity_released": _l("danh tính không còn được bảo vệ (không còn là tố cáo)"),
    "identity_viewed": _l("xem danh tính người tố cáo"),
}
# Moments stamped by a laptop or the office (UTC, shown in the commune's time); a forum's
# start and end are the wall-clock times the village head typed, shown as typed.
UTC_TIMES = frozenset({"satisfaction_at", "finalised_at", "recorded_at"})
# The citizen's personal data (Nghị định 13/2023): hidden unless the role may see it,
# and always for a denouncer (Luật Tố cáo 2018, art. 47).
PERSONAL = ("raiser_name", "raiser_phone", "raiser_gender")


@dataclass
class Change:
    label: str
    old: str
    new: str
    hidden: bool = False


@dataclass
class Line:
    at: datetime
    source: str
    action: str
    who: str
    push: Any = None
    reason: str | None = None
    changes: list[Change] = field(default_factory=list)


def readable(entries: list[AuditEntry], hidden: bool, names: dict[str, dict],
             devices: dict[str, str], pushes: dict[int, Any]) -> list[Line]:
    """Return the history lines of one record, oldest first, ready to show.

    `hidden`: hide personal values; `names` gives village and unit names by id;
    `devices` the office's label for each device; `pushes` the push rows by id.
    """
    lines = []
    for entry in entries:
        if entry.source == "laptop":
            who = devices.get(entry.device_id or "") or entry.actor or entry.device_id or "?"
        else:
            who = entry.actor or "?"
        line = Line(at=entry.at, source=entry.source,
                    action=str(ACTIONS.get(entry.action, entry.action)), who=who,
                    push=pushes.get(entry.push_id) if entry.push_id else None,
                    reason=entry.reason)
        for name, pair in (entry.changes or {}).items():
            label = str(FIELD_NAMES.get(name, name))
            if name in PERSONAL and hidden:
                line.changes.append(Change(label, "", "", hidden=True))
                continue
            old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            before, after = shown(name, old, names), shown(name, new, names)
            if before == after:  # said, not changed (a case's lead is merged into nothing)
                continue
            line.changes.append(Change(label, before, after))
        lines.append(line)
    return lines


def shown(name: str, value: Any, names: dict[str, dict]) -> str:
    """Return one stored value in words: a label, a name, a date as dd/mm/yyyy."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if name in VALUE_LABELS:
        return str(VALUE_LABELS[name].get(value, value))
    if name == "village_id":
        return str(names.get("villages", {}).get(_as_uuid(value), _("(bản khác)")))
    if name == "unit_id":
        return str(names.get("units", {}).get(value, value))
    if name == "merged_into":  # an opinion's id says nothing to a person
        return _("ý kiến đầu tiên của vụ việc")
    if name == "extensions" and isinstance(value, list):
        return "; ".join(_("%(days)s ngày: %(reason)s", days=item.get("days"),
                           reason=item.get("reason")) for item in value
                         if isinstance(item, dict)) or "—"
    if name == "size" and isinstance(value, int):
        return file_size(value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if len(value) == 10:
            return moment.strftime("%d/%m/%Y")
        if name in UTC_TIMES:  # a moment the machine took, not one a person typed
            moment = to_user_timezone(moment.replace(tzinfo=UTC))
        return moment.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, (date, datetime)):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _as_uuid(value: Any) -> Any:
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return value
