"""What a phone on the hotspot may do: record, never administer.

The laptop itself (loopback) may do everything. A phone that typed the PIN
records: forums, opinions and attachments, while the minutes are a draft.
Amendments of finalised minutes, finalising, villages and categories,
sync, enrolment, backup and restore stay on the laptop. An endpoint not in
this map is laptop-only, so a page added later is safe until listed here.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from ..errors import AppError

# Any phone that typed the PIN.
PHONE = "phone"
# A phone, only while the forum (the page's, or its opinion's) is still a draft:
# a change to finalised minutes is an amendment, made on the laptop.
DRAFT = "draft"

PHONE_RIGHTS: dict[str, str] = {
    # The PWA shell, language, PIN page, assets.
    "static": PHONE, "lan.pin": PHONE, "pwa.health": PHONE, "pwa.language": PHONE,
    "pwa.manifest": PHONE, "pwa.offline": PHONE, "pwa.service_worker": PHONE,
    # The top bar's counter (read-only).
    "outbox.status": PHONE,
    # Forums.
    "forums.index": PHONE, "forums.show": PHONE, "forums.new": PHONE,
    "forums.minutes_html": PHONE, "forums.minutes_docx": PHONE,
    "forums.edit": DRAFT, "forums.add_decision": DRAFT, "forums.delete_decision": DRAFT,
    # Opinions.
    "opinions.index": PHONE, "opinions.show": PHONE, "opinions.new": PHONE,
    "opinions.quick_add": DRAFT, "opinions.edit": DRAFT, "opinions.delete": DRAFT,
    # Answers read out at a forum, and the citizens' satisfaction recorded there.
    "answers.index": PHONE, "answers.read_out": PHONE, "answers.satisfaction": PHONE,
    "answers.mark": PHONE, "answers.record_json": PHONE,
    # Attachments.
    "attachments.download": PHONE, "attachments.thumbnail": PHONE,
    # The photo of the signed minutes is taken after finalising: any forum.
    "attachments.upload_to_forum": PHONE, "attachments.upload_to_opinion": PHONE,
    # The same rights through the JSON API.
    "api.openapi_document": PHONE, "api.list_categories": PHONE,
    "api.list_villages": PHONE, "api.get_village": PHONE,
    "api.list_forums": PHONE, "api.get_forum": PHONE, "api.create_forum": PHONE,
    "api.patch_forum": DRAFT,
    "api.list_opinions": PHONE, "api.get_opinion": PHONE, "api.create_opinion": PHONE,
    "api.patch_opinion": DRAFT, "api.delete_opinion": DRAFT,
    "api.get_attachment": PHONE, "api.attachment_content": PHONE,
    "api.create_attachment": PHONE,
}


class LaptopOnly(AppError):
    """A phone asked for something only the laptop may do."""

    status = 403
    code = "laptop_only"


def _is_draft(view_args: dict[str, Any]) -> bool:
    """Tell whether the forum a request is about (if any) is still a draft."""
    from ..extensions import db
    from ..forums.models import Forum
    from ..opinions.models import Opinion

    forum = None
    if "forum_id" in view_args:
        forum = db.session.get(Forum, view_args["forum_id"])
    elif "opinion_id" in view_args:
        opinion = db.session.get(Opinion, view_args["opinion_id"])
        forum = opinion.forum if opinion is not None else None
    # A missing record is the view's 404 to give, not a refusal.
    return forum is None or not forum.is_finalised


def phone_may(endpoint: str | None, view_args: dict[str, Any] | None = None) -> bool:
    """Tell whether a phone may use `endpoint` with these URL arguments."""
    right = PHONE_RIGHTS.get(endpoint or "")
    if right == PHONE:
        return True
    return right == DRAFT and _is_draft(view_args or {})


def check_phone_rights() -> None:
    """Refuse a phone's request outside its rights (called after the PIN check)."""
    if request.endpoint is None:
        return  # no route: the 404 handler answers
    if not phone_may(request.endpoint, request.view_args):
        raise LaptopOnly(_("Việc này chỉ làm được trên máy tính chạy Lắng Nghe, không làm "
                           "được trên điện thoại: điện thoại chỉ dùng để ghi hội nghị, ý kiến "
                           "và ảnh, tệp đính kèm."))
