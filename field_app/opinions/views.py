"""Opinion pages: quick entry, intake outside forums, list and search, edit."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..areas.logic import offered_villages, villages
from ..attachments.forms import AttachmentForm
from ..attachments.logic import attachments_of
from ..errors import ValidationFailed
from ..extensions import db
from ..forms import show_errors
from ..forums import logic as forums
from ..forums.forms import ConfirmForm
from ..forums.views import opinion_form, render_forum
from ..models_base import as_uuid
from ..pwa.lan import is_local
from ..pwa.saved import mark_saved
from . import logic
from .forms import AmendOpinionForm, CategoryForm, OpinionForm, SearchForm

bp = Blueprint("opinions", __name__)
NO_OPINION = uuid.UUID(int=0)


@bp.post("/forums/<uuid:forum_id>/opinions")
def quick_add(forum_id):
    """Record an opinion raised at the forum; back to the form for the next one."""
    forum = forums.get_forum(forum_id)
    form = opinion_form(forum)
    if form.validate_on_submit():
        saved = logic.saved_opinion(as_uuid(form.client_id.data or None))
        if saved is not None:
            # The same form sent again (Back, then Lưu): the opinion it recorded, once.
            mark_saved("opinion-quick", url_for("forums.show", forum_id=forum.id),
                       form.client_id.data)
            if logic.differs_from_saved(saved, form.values()):
                flash(_("Ý kiến số %(n)d đã được ghi trước đó; những thay đổi vừa nhập CHƯA "
                        "được lưu — hãy sửa ở đây rồi lưu lại.", n=saved.position), "error")
                return redirect(url_for("opinions.edit", opinion_id=saved.id))
            flash(_("Ý kiến số %(n)d đã được ghi trước đó.", n=saved.position), "info")
            return redirect(url_for("forums.show", forum_id=forum.id) + "#opinions")
        try:
            opinion = logic.create_opinion(form.values(), forum=forum,
                                           opinion_id=as_uuid(form.client_id.data or None))
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            mark_saved("opinion-quick", url_for("forums.show", forum_id=forum.id),
                       form.client_id.data)
            flash(_("Đã ghi ý kiến số %(n)d.", n=opinion.position), "success")
            # Keep the sticky choices so the next speaker is one Enter away.
            return redirect(url_for("forums.show", forum_id=forum.id, kind=form.kind.data,
                                    category=form.category_code.data,
                                    level=form.level.data) + "#quick")
    return render_forum(forum, form, status=422)


@bp.route("/opinions/new", methods=["GET", "POST"])
def new():
    """Record an opinion received outside a forum (MTTQ, mailbox, phone, Zalo…)."""
    form = OpinionForm(villages=offered_villages(), categories=logic.categories())
    if request.method == "GET":
        form.channel.data = "mttq"
        form.level.data = "commune"
        form.needs_follow_up.data = True
        form.received_on.data = logic.vietnam_today()
    if form.validate_on_submit():
        saved = logic.saved_opinion(as_uuid(form.client_id.data or None))
        if saved is not None:
            mark_saved("opinion", request.path, form.client_id.data)
            if logic.differs_from_saved(saved, form.values()):
                flash(_("Ý kiến này đã được ghi trước đó; những thay đổi vừa nhập CHƯA được "
                        "lưu — hãy sửa ở đây rồi lưu lại."), "error")
                return redirect(url_for("opinions.edit", opinion_id=saved.id))
            flash(_("Ý kiến này đã được ghi trước đó; đây là ý kiến đã ghi."), "info")
            return redirect(url_for("opinions.show", opinion_id=saved.id))
        try:
            opinion = logic.create_opinion(form.values(),
                                           opinion_id=as_uuid(form.client_id.data or None))
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            mark_saved("opinion", request.path, form.client_id.data)
            flash(_("Đã ghi ý kiến."), "success")
            return redirect(url_for("opinions.show", opinion_id=opinion.id))
    if not form.client_id.data:
        form.client_id.data = str(uuid.uuid4())
    return render_template("opinions/edit.html", form=form, opinion=None)


@bp.get("/opinions")
def index():
    """List and search opinions; diacritics and case are ignored."""
    form = SearchForm(request.args, villages=villages(), categories=logic.categories(False))
    follow = {"yes": True, "no": False}.get(form.follow_up.data or "")
    filters = logic.OpinionFilter(q=form.q.data or "", village_id=form.village_id.data,
                                  forum_id=form.forum_id.data, kind=form.kind.data,
                                  category_code=form.category_code.data, follow_up=follow,
                                  office=form.office.data or None)
    page = logic.search_opinions(filters, request.args.get("page", 1, type=int),
                                 current_app.config["PAGE_SIZE"])
    # One url_for, not three a row.
    opinion_url = url_for("opinions.show", opinion_id=NO_OPINION).removesuffix(str(NO_OPINION))
    return render_template("opinions/index.html", form=form, page=page, opinion_url=opinion_url,
                           today=logic.vietnam_today(), is_overdue=logic.is_overdue,
                           answers_at=logic.last_answers_at(),
                           office_states=logic.office_states(page.items))


@bp.get("/opinions/<uuid:opinion_id>")
def show(opinion_id):
    """Show one opinion with its attachments and history."""
    opinion = logic.get_opinion(opinion_id)
    # A denouncer's identity: only on this page, only on the laptop, only when asked for.
    may_reveal = is_local(request.remote_addr)
    reveal = may_reveal and request.args.get("identity") == "1"
    response = make_response(render_template(
        "opinions/show.html", opinion=opinion, attachments=attachments_of(opinion=opinion),
        attachment_form=AttachmentForm(formdata=None), confirm=ConfirmForm(),
        may_reveal=may_reveal, reveal=reveal, today=logic.vietnam_today(),
        overdue=logic.is_overdue(opinion),
        office_state=logic.office_states([opinion])[opinion.id]))
    if reveal:
        # Never kept by the service worker or any cache.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/opinions/<uuid:opinion_id>/edit", methods=["GET", "POST"])
def edit(opinion_id):
    """Edit an opinion; in finalised minutes this records an amendment."""
    opinion = logic.get_opinion(opinion_id)
    locked = opinion.forum is not None and opinion.forum.is_finalised
    form_class = AmendOpinionForm if locked else OpinionForm
    # A category the office deactivated stays offered on the opinions filed under it.
    offered = logic.categories()
    if opinion.category is not None and opinion.category not in offered:
        offered.append(opinion.category)
    form = form_class(obj=opinion, villages=villages(), categories=offered)
    if request.method == "GET":
        form.village_id.data = str(opinion.village_id)
        form.shown.data = logic.shown_corrections(opinion)
        if opinion.identity_protected:
            for name in logic.IDENTITY_FIELDS:  # kept as stored when left empty
                getattr(form, name).data = None
    if form.validate_on_submit():
        try:
            logic.update_opinion(opinion,
                                 logic.keep_corrections(opinion, form.values(), form.shown.data),
                                 getattr(form, "reason", None) and form.reason.data,
                                 getattr(form, "author", None) and form.author.data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            mark_saved("opinion", request.path)
            flash(_("Đã ghi đính chính.") if locked else _("Đã lưu."), "success")
            return redirect(url_for("opinions.show", opinion_id=opinion.id))
    return render_template("opinions/edit.html", form=form, opinion=opinion)


@bp.post("/opinions/<uuid:opinion_id>/delete")
def delete(opinion_id):
    """Delete an opinion entered by mistake (draft minutes only)."""
    opinion = logic.get_opinion(opinion_id)
    forum_id = opinion.forum_id
    if ConfirmForm().validate_on_submit():
        try:
            logic.delete_opinion(opinion)
        except ValidationFailed as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("opinions.show", opinion_id=opinion_id))
        db.session.commit()
        flash(_("Đã xoá ý kiến."), "success")
    if forum_id:
        return redirect(url_for("forums.show", forum_id=forum_id) + "#opinions")
    return redirect(url_for("opinions.index"))


@bp.route("/categories", methods=["GET", "POST"])
def category_list():
    """Show the categories (lĩnh vực) and add one."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            logic.add_category(form.name.data)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            db.session.commit()
            return redirect(url_for("opinions.category_list"))
    return render_template("opinions/categories.html", form=form,
                           categories=logic.categories(False))
