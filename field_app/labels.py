"""Readable names for the coded values, translated (Vietnamese by default)."""

from datetime import datetime

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l

VILLAGE_KIND_LABELS = {
    "ban": _l("Bản"),
    "thon": _l("Thôn"),
    "tieu_khu": _l("Tiểu khu"),
    "ap": _l("Ấp"),
    "to_dan_pho": _l("Tổ dân phố"),
}
FORUM_KIND_LABELS = {
    "listening": _l("Hội nghị \"Chính quyền lắng nghe ý kiến Nhân dân\""),
    "chairman_dialogue": _l("Chủ tịch UBND xã đối thoại với Nhân dân"),
    "saturday": _l("\"Ngày thứ Bảy về với Nhân dân\""),
    "tea_coffee": _l("\"Trà đá, cà phê cùng chính quyền\""),
    "village_meeting": _l("Hội nghị thôn, bản"),
    "voters": _l("Tiếp xúc cử tri"),
    "other": _l("Khác"),
}
FORUM_STATUS_LABELS = {"draft": _l("Đang ghi"), "finalised": _l("Đã chốt biên bản"),
                       "planned": _l("Sắp họp")}
OPINION_KIND_LABELS = {
    "opinion": _l("Ý kiến"),
    "petition": _l("Kiến nghị"),
    "feedback": _l("Phản ánh"),
    "complaint": _l("Khiếu nại"),
    "denunciation": _l("Tố cáo"),
}


def forum_status(status: str, started_at: datetime | None, now: datetime | None = None) -> str:
    """Return the forum status to show: a draft whose start is still ahead is "planned".

    Stored starts are Vietnam wall time, naive (opinions/logic.py `vietnam_now`); the
    laptop's list and page and the office's list all ask here.
    """
    if status != "draft" or started_at is None:
        return status
    if now is None:
        from .opinions.logic import vietnam_now

        now = vietnam_now()
    return "planned" if started_at > now else status


# The seeded categories (opinions/models.py SEED_CATEGORIES), by code; the msgid is the
# seeded Vietnamese name. A name the office typed or changed is shown as it is.
CATEGORY_LABELS = {
    "land": _l("Đất đai"),
    "construction": _l("Giao thông – xây dựng – thủy lợi"),
    "electricity": _l("Điện"),
    "water": _l("Nước sinh hoạt"),
    "social_policy": _l("Chế độ chính sách – an sinh xã hội"),
    "health": _l("Y tế"),
    "education": _l("Giáo dục"),
    "culture": _l("Văn hóa – xã hội"),
    "agriculture": _l("Nông – lâm nghiệp"),
    "environment": _l("Tài nguyên – môi trường"),
    "security": _l("An ninh trật tự"),
    "procedures": _l("Thủ tục hành chính"),
    "other": _l("Khác"),
}

def category_label(code: str | None, name: str | None) -> str:
    """Return a category's name to show: a seeded one in the user's language, else as typed."""
    if code not in CATEGORY_LABELS:
        return name or code or ""
    # A list shows the same few categories on every row: translated once a request.
    seen = g.setdefault("_category_labels", {}) if has_app_context() else {}
    key = (code, name)
    found = seen.get(key)
    if found is None:
        found = seen[key] = _category_label(code, name)
    return found


def _category_label(code: str, name: str | None) -> str:
    from .opinions.models import SEED_CATEGORIES

    if name is None or dict(SEED_CATEGORIES).get(code) == name:
        return str(CATEGORY_LABELS[code])
    return name or code or ""


CHANNEL_LABELS = {
    "forum": _l("Tại hội nghị"),
    "mttq": _l("Qua MTTQ"),
    "mailbox": _l("Hòm thư góp ý"),
    "direct": _l("Trực tiếp"),
    "phone": _l("Điện thoại"),
    "zalo": _l("Zalo"),
    "email": _l("Thư điện tử (e-mail)"),
    "facebook": _l("Facebook"),
    "other": _l("Khác"),
}
SOURCE_ORG_LABELS = {
    "farmers_union": _l("Hội Nông dân"),
    "womens_union": _l("Hội Liên hiệp Phụ nữ"),
    "youth_union": _l("Đoàn Thanh niên"),
    "veterans": _l("Hội Cựu chiến binh"),
    "citizen": _l("Công dân"),
}
LEVEL_LABELS = {
    "village": _l("Thôn, bản"),
    "commune": _l("Xã"),
    "province": _l("Tỉnh"),
    "central": _l("Trung ương"),
    "sector": _l("Cơ quan ngành dọc"),
}
WORKFLOW_STATUS_LABELS = {
    "received": _l("Đã tiếp nhận"), "forwarded": _l("Đã chuyển"),
    "in_progress": _l("Đang giải quyết"), "answered": _l("Đã trả lời"), "closed": _l("Đã xong"),
}
# On the laptop: the office's status, or how far the record got before it has one
# (opinions.logic.office_states).
OFFICE_STATE_LABELS = {
    "unsent": _l("Chưa gửi lên xã"), "awaiting": _l("Đã gửi, chờ xã xử lý"),
    "changed": _l("Đã gửi, có sửa đổi chờ gửi"),
    **WORKFLOW_STATUS_LABELS,
}
GENDER_LABELS = {"female": _l("Nữ"), "male": _l("Nam"), "other": _l("Khác")}
# The citizen's answer when the office's reply is read out (sync.records.SATISFACTIONS).
SATISFACTION_LABELS = {"satisfied": _l("Hài lòng"), "unsatisfied": _l("Không hài lòng"),
                       "absent": _l("Vắng mặt")}
FIELD_LABELS = {
    "kind": _l("Loại"),
    "village_id": _l("Bản/thôn"),
    "title": _l("Tiêu đề"),
    "started_at": _l("Bắt đầu"),
    "ended_at": _l("Kết thúc"),
    "venue": _l("Địa điểm"),
    "chair": _l("Chủ trì"),
    "secretary": _l("Thư ký"),
    "officials_present": _l("Cán bộ xã dự"),
    "attendance_total": _l("Tổng số người dự"),
    "attendance_women": _l("Số nữ"),
    "attendance_ethnic_minority": _l("Số người dân tộc thiểu số"),
    "households_represented": _l("Số hộ có đại diện"),
    "agenda": _l("Chương trình"),
    "summary": _l("Tóm tắt, kết luận"),
    "channel": _l("Kênh tiếp nhận"),
    "source_org": _l("Tổ chức chuyển đến"),
    "anonymous": _l("Giấu tên"),
    "raiser_name": _l("Người nêu"),
    "raiser_gender": _l("Giới tính"),
    "raiser_phone": _l("Điện thoại"),
    "on_behalf_households": _l("Thay mặt số hộ"),
    "category_code": _l("Lĩnh vực"),
    "content": _l("Nội dung"),
    "level": _l("Cấp giải quyết"),
    "answered_on_spot": _l("Đã trả lời tại chỗ"),
    "spot_answer_by": _l("Người trả lời"),
    "spot_answer": _l("Nội dung trả lời"),
    "needs_follow_up": _l("Cần theo dõi giải quyết"),
    # The office's answer, as the laptop reads it out and the office types it: who gave it
    # is a body (a unit) or a person (the chairman), so both are named.
    "answer_by": _l("Cơ quan/người trả lời"),
}


def choices(labels: dict) -> list[tuple[str, str]]:
    """Return (code, label) pairs for a select box."""
    return [(code, str(label)) for code, label in labels.items()]


def translated(labels: dict) -> dict[str, str]:
    """Return a label table with each label translated for this request."""
    return {value: str(label) for value, label in labels.items()}
