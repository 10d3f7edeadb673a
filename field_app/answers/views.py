"""The read-out list (printable, offline) and the satisfaction buttons."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from sync.records import SATISFACTIONS

from ..api.views import json_body
from ..areas.logic import offered_villages
from ..errors import ValidationFailed
from ..extensions import csrf, db
from ..forums.forms import ConfirmForm
from ..labels import SATISFACTION_LABELS
from ..opinions.logic import get_opinion
from ..rules import plain
from . import logic

bp = Blueprint("answers", __name__)


@bp.app_context_processor
def answers_helpers():
    # The forum page links to its village's list with the number still to read out.
    return {"answers_unread": logic.unread_count}


@bp.get("/answers")
def index():
    """Choose the village whose answers to read out."""
    return render_template("answers/index.html", villages=offered_villages(),
                           counts=logic.unread_counts())


@bp.get("/villages/<uuid:village_id>/answers")
def read_out(village_id):
    """List the office's answers to read out at the village's next forum; prints on A4."""
    village = logic.get_village(village_id)
    show_all = request.args.get("all") == "1"
    try:
        forum = logic.forum_for(village, request.args.get("forum"))
    except ValidationFailed:
        forum = None
    # The one forum held today, the one the header names: recorded at it, unasked.
    forum = forum or logic.todays_forum(village)
    sitting = forum or logic.next_forum(village)
    items = logic.answers(village, include_read=show_all, forum=sitting)
    return render_template("answers/read_out.html", village=village, items=items,
                           groups=logic.grouped(items),
                           forum=sitting, chosen=forum,
                           finalised_today=None if sitting else logic.next_forum(
                               village, status="finalised"),
                           show_all=show_all, confirm=ConfirmForm(),
                           choices=[(value, str(SATISFACTION_LABELS[value]))
                                    for value in SATISFACTIONS],
                           satisfaction_forums=logic.satisfaction_forums(
                               [item.opinion for item in items]))


def _back(opinion):
    """Return to the list the button was on (its forum, whether read ones were shown)."""
    args = {key: value for key in ("forum", "all")
            if (value := request.form.get("back_" + key))}
    kept = opinion.village.merged_into if opinion.village.merged_into else opinion.village_id
    return redirect(url_for(".read_out", village_id=kept, **args) + f"#answer-{opinion.id}")


@bp.post("/answers/<uuid:opinion_id>/satisfaction")
def satisfaction(opinion_id):
    """Record whether the citizen is satisfied with the answer read out."""
    opinion = get_opinion(opinion_id)
    try:
        logic.record_satisfaction(opinion.id, request.form.get("satisfaction"),
                                  request.form.get("forum_id"))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Đã ghi mức độ hài lòng; sẽ gửi lên xã ở lần đồng bộ sau."), "success")
    return _back(opinion)


@bp.post("/answers/<uuid:opinion_id>/read-out")
def mark(opinion_id):
    """Note that the answer was read out (or put it back on the list)."""
    opinion = get_opinion(opinion_id)
    read = request.form.get("read", "1") != "0"
    try:
        logic.mark_read_out(opinion.id, request.form.get("forum_id"), read=read)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Đã đánh dấu đã đọc.") if read else _("Đã đưa lại vào danh sách cần đọc."),
              "success")
    return _back(opinion)


@bp.post("/api/v1/opinions/<uuid:opinion_id>/satisfaction")
@csrf.exempt  # JSON only: a cross-site form cannot send application/json.
def record_json(opinion_id):
    """Record satisfaction from the list's buttons (static/js/readout.js), queued offline.

    Body: ``{"satisfaction": "satisfied"|"unsatisfied"|"absent"|null, "forum_id": uuid?}``;
    other keys (the queue's label) are ignored. Sent again as it is, it changes nothing.
    """
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed(_("Dữ liệu gửi lên phải là một đối tượng JSON."))
    value = body.get("satisfaction")
    if value is not None and not isinstance(value, str):
        message = _("Mức độ hài lòng không hợp lệ: chọn Hài lòng, Không hài lòng hoặc Vắng mặt.")
        raise ValidationFailed(message, {"satisfaction": message})
    forum_id = body.get("forum_id")
    opinion = logic.record_satisfaction(opinion_id, value,
                                        None if forum_id is None else str(forum_id))
    db.session.commit()
    return jsonify({"id": str(opinion.id), "satisfaction": opinion.satisfaction,
                    "satisfaction_at": plain(opinion.satisfaction_at),
                    "satisfaction_forum_id": plain(opinion.satisfaction_forum_id)})
