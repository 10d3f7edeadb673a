"""Forum pages: list, create, edit or amend, finalise, minutes."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from ..api.schemas import VIETNAM
from ..areas.logic import current_commune, offered_villages, villages
from ..attachments.forms import AttachmentForm
from ..attachments.logic import attachments_of
from ..backup.logic import automatic_backup, sqlite_path
from ..errors import AppError, ValidationFailed
from ..extensions import db
from ..forms import form_data, show_errors
from ..labels import FORUM_KIND_LABELS, FORUM_STATUS_LABELS, translated
from ..launcher.views import offer as launcher_offer
from ..models_base import as_uuid
from ..opinions.forms import OpinionForm
from ..opinions.logic import categories, forum_opinions
from ..pwa.saved import mark_saved
from . import logic, minutes
from .forms import AmendForumForm, ConfirmForm, DecisionForm, ForumForm

bp = Blueprint("forums", __name__)
NO_FORUM = uuid.UUID(int=0)


@bp.get("/")
def index():
    """List forums, newest first."""
    village_id = request.args.get("village") or None
    # One url_for, not one per row: building 400 links was a quarter of the page's CPU.
    forum_url = url_for("forums.show", forum_id=NO_FORUM).removesuffix(str(NO_FORUM))
    return render_template("forums/index.html", forum_url=forum_url,
                           page=logic.listed_forums(village_id, request.args.get("status"),
                                                    request.args.get("page", 1, type=int),
                                                    current_app.config["PAGE_SIZE"]),
                           villages=villages(), village_id=village_id,
                           commune=current_commune(),
                           # Each label translated once, not once a row through a filter.
                           kind_labels=translated(FORUM_KIND_LABELS),
                           status_labels=translated(FORUM_STATUS_LABELS),
                           launcher_offer=launcher_offer())


@bp.route("/forums/new", methods=["GET", "POST"])
def new():
    """Create a forum before the meeting starts."""
    form = ForumForm(villages=offered_villages())
    if request.method == "GET":
        form.village_id.data = request.args.get("village")
        # Vietnam's wall clock, as every time the app shows: on a laptop set to UTC a
        # 29/11 evening forum would otherwise be dated 30/11.
        form.started_at.data = datetime.now(VIETNAM).replace(tzinfo=None, second=0,
                                                             microsecond=0)
    if form.validate_on_submit():
        client_id = as_uuid(form.client_id.data or None)
        saved = logic.saved_forum(client_id)
        if saved is not None:
            # The same form sent again (Back, then Lưu): the forum it made, not a second.
            mark_saved("forum", request.path, form.client_id.data)
            if logic.differs_from_saved(saved, form_data(form, logic.FORUM_FIELDS)):
                flash(_("Hội nghị này đã được lưu trước đó; những thay đổi vừa nhập CHƯA "
                        "được lưu — hãy sửa ở đây rồi lưu lại."), "error")
                return redirect(url_for("forums.edit", forum_id=saved.id))
            flash(_("Hội nghị này đã được lưu trước đó; đây là hội nghị đã lưu."), "info")
            return redirect(url_for("forums.show", forum_id=saved.id))
        if logic.deleted_forum(client_id):
            # Back to the form of a forum deleted since: a new form, a new forum.
            flash(_("Hội nghị này đã bị xoá; hãy tạo hội nghị mới."), "error")
            return redirect(url_for("forums.new"))
        try:
            forum = logic.create_forum(form_data(form, logic.FORUM_FIELDS), forum_id=client_id)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            db.session.commit()
            mark_saved("forum", request.path, form.client_id.data)
            flash(_("Đã tạo hội nghị. Ghi ý kiến ở ô bên dưới."), "success")
            return redirect(url_for("forums.show", forum_id=forum.id) + "#quick")
    if not form.client_id.data:
        form.client_id.data = str(uuid.uuid4())
    return render_template("forums/edit.html", form=form, forum=None)


def opinion_form(forum, **kwargs) -> OpinionForm:
    """Return the quick-entry form for a forum's opinions."""
    return OpinionForm(villages=villages(), categories=categories(), prefix="op", **kwargs)


@bp.get("/forums/<uuid:forum_id>")
def show(forum_id):
    """Show a forum: details, quick entry, opinions, decisions, attachments."""
    forum = logic.get_forum(forum_id)
    form = opinion_form(forum, formdata=None)
    form.channel.data = "forum"
    form.needs_follow_up.data = True
    # The previous speaker's kind and category stay chosen: one less key to press.
    form.kind.data = request.args.get("kind") or "opinion"
    form.level.data = request.args.get("level") or "commune"
    form.category_code.data = request.args.get("category") or None
    form.client_id.data = str(uuid.uuid4())
    return render_forum(forum, form)


def render_forum(forum, form, decision_form=None, attachment_form=None, status=200):
    return render_template(
        "forums/show.html", forum=forum, form=form, opinions=forum_opinions(forum),
        decision_form=decision_form or DecisionForm(prefix="d", formdata=None),
        attachment_form=attachment_form or AttachmentForm(formdata=None),
        attachments=attachments_of(forum=forum), confirm=ConfirmForm(),
        finalise_missing={} if forum.is_finalised else logic.finalise_missing(forum),
        passed=lambda d: logic.decision_passed(forum, d)), status


@bp.route("/forums/<uuid:forum_id>/edit", methods=["GET", "POST"])
def edit(forum_id):
    """Edit a draft forum, or amend a finalised one with reason and author."""
    forum = logic.get_forum(forum_id)
    form_class = AmendForumForm if forum.is_finalised else ForumForm
    form = form_class(obj=forum, villages=villages())
    if request.method == "GET":
        form.village_id.data = str(forum.village_id)
        if request.args.get("finalise") and not forum.is_finalised:
            # Sent by the forum page's "Bổ sung để chốt biên bản": mark what is missing.
            for name, message in logic.finalise_missing(forum).items():
                getattr(form, name).errors = [message]
    if form.validate_on_submit():
        data = form_data(form, logic.FORUM_FIELDS)
        try:
            if forum.is_finalised:
                logic.amend_forum(forum, data, form.reason.data, form.author.data)
            else:
                logic.update_forum(forum, data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            mark_saved("forum", request.path)
            flash(_("Đã ghi đính chính.") if forum.is_finalised else _("Đã lưu."), "success")
            return redirect(url_for("forums.show", forum_id=forum.id))
    return render_template("forums/edit.html", form=form, forum=forum)


@bp.post("/forums/<uuid:forum_id>/finalise")
def finalise(forum_id):
    """Lock the minutes and take an automatic backup."""
    forum = logic.get_forum(forum_id)
    if ConfirmForm().validate_on_submit():
        try:
            logic.finalise_forum(forum)
        except ValidationFailed as exc:
            db.session.rollback()
            flash(exc.message + " " + " ".join(exc.details.values()), "error")
            return redirect(url_for("forums.edit", forum_id=forum.id, finalise=1))
        db.session.commit()
        uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
        if uri.startswith("sqlite:///"):
            automatic_backup(sqlite_path(uri), current_app.config["DATA_DIR"] / "backups",
                             f"finalised-{forum.id}")
        flash(_("Đã chốt biên bản và sao lưu dữ liệu. Hãy in biên bản để ký."), "success")
    return redirect(url_for("forums.show", forum_id=forum.id))


@bp.post("/forums/<uuid:forum_id>/delete")
def delete(forum_id):
    """Delete a draft forum made by mistake (no opinions); the next sync tells the office."""
    forum = logic.get_forum(forum_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("forums.show", forum_id=forum.id))
    try:
        logic.delete_forum(forum)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("forums.show", forum_id=forum_id))
    db.session.commit()
    flash(_("Đã xoá hội nghị. Lần đồng bộ tới sẽ báo cho văn phòng xã."), "success")
    return redirect(url_for("forums.index"))


@bp.post("/forums/<uuid:forum_id>/decisions")
def add_decision(forum_id):
    """Add a decision voted on at the meeting."""
    forum = logic.get_forum(forum_id)
    form = DecisionForm(prefix="d")
    if form.validate_on_submit():
        try:
            logic.add_decision(forum, form.text.data, form.votes_for.data,
                               form.votes_against.data, form.votes_abstain.data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            mark_saved("decision", url_for("forums.show", forum_id=forum.id))
            return redirect(url_for("forums.show", forum_id=forum.id) + "#decisions")
    return render_forum(forum, opinion_form(forum, formdata=None), decision_form=form,
                        status=422)


@bp.post("/forums/<uuid:forum_id>/decisions/<uuid:decision_id>/delete")
def delete_decision(forum_id, decision_id):
    """Remove a decision from a draft forum."""
    forum = logic.get_forum(forum_id)
    if ConfirmForm().validate_on_submit():
        logic.remove_decision(forum, decision_id)
        db.session.commit()
    return redirect(url_for("forums.show", forum_id=forum.id) + "#decisions")


@bp.get("/forums/<uuid:forum_id>/minutes")
def minutes_html(forum_id):
    """Show the minutes ready to print."""
    forum = logic.get_forum(forum_id)
    return render_template("forums/minutes.html", m=minutes.build(forum))


@bp.get("/forums/<uuid:forum_id>/minutes.docx")
def minutes_docx(forum_id):
    """Download the minutes as a Word document."""
    forum = logic.get_forum(forum_id)
    content = minutes.render_docx(minutes.build(forum))
    return send_file(content, as_attachment=True, download_name=minutes.filename(forum),
                     mimetype="application/vnd.openxmlformats-officedocument."
                              "wordprocessingml.document")
