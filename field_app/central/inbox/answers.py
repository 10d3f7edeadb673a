"""What an answer to a citizen needs, wherever the office gives one: an opinion's
"Xử lý" form and a case's answer form check it here, and nowhere else."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from sync.records import MAX_TEXT as TEXT_MAX

from ...text import count

BY_MAX, DOC_MAX = 120, 60
# An opinion in one of these has been answered: it needs the answer itself.
ANSWERED_STATUSES = ("answered", "closed")


def answer_errors(text: str | None, by: str | None, doc_number: str | None,
                  on: date | None, received_on: date | None,
                  today: date) -> dict[str, tuple[str, str]]:
    """Return what is wrong with an answer, by field: (machine code, Vietnamese message).

    An empty dict: the answer may be given. `on` None means today (the caller fills it).
    """
    errors: dict[str, tuple[str, str]] = {}
    text, by = (text or "").strip(), " ".join((by or "").split())
    if not text:
        errors["text"] = ("required", _("Chưa có nội dung trả lời."))
    elif len(text) > TEXT_MAX:
        errors["text"] = ("too_long", _("Nội dung trả lời dài quá %(n)s ký tự.", n=count(TEXT_MAX)))
    if not by:
        errors["by"] = ("required", _("Chưa ghi cơ quan/người trả lời."))
    elif len(by) > BY_MAX:
        errors["by"] = ("too_long", _("Cơ quan/người trả lời dài quá %(n)s ký tự.", n=BY_MAX))
    if doc_number and len(" ".join(doc_number.split())) > DOC_MAX:
        errors["doc_number"] = ("too_long", _("Số văn bản dài quá %(n)s ký tự.", n=DOC_MAX))
    if on is not None and on > today:
        errors["date"] = ("future", _("Ngày trả lời không được sau hôm nay (%(d)s).",
                                      d=today.strftime("%d/%m/%Y")))
    elif on is not None and received_on is not None and on < received_on:
        errors["date"] = ("before_received",
                          _("Ngày trả lời không được trước ngày tiếp nhận (%(d)s).",
                            d=received_on.strftime("%d/%m/%Y")))
    return errors


def message_of(errors: dict[str, tuple[str, str]]) -> str:
    """Return the errors as one sentence for the form."""
    return " ".join(message for _code, message in errors.values())
