"""The catalogue pages: a commune's categories (lĩnh vực) and its villages, merges included."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...areas.logic import commune_label
from ...errors import ValidationFailed
from ...extensions import db
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import require
from . import logic


def _commune(change: bool = False):
    """Return (account, commune) of a catalogue page; a server-wide account picks one.

    A page shows an account of one commune its own list whatever it asks for; a change
    asked for another commune is refused (403), never made on the account's own list.
    """
    account = office_account()
    requested = picked_commune(request.values.get("commune"))
    if change and requested is not None:
        logic.check_manager(account, requested)
    return account, logic.commune_of(account, requested)


def picked_commune(typed: str | None) -> int | None:
    """Return the commune a picker names (code or name); a name that names none, or
    several, is flashed with what to type, and the page shows no commune."""
    try:
        return logic.picked_commune(typed)
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return None


def _done(endpoint: str, commune: int | None, action) -> object:
    """Run one change, commit once, say how it went, and go back to the list.

    A refusal (another commune's record: 404, no right: 403) is an error page, as
    everywhere in the office; only a form's mistake is flashed.
    """
    try:
        message = action()
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(endpoint, commune=commune))


@bp.get("/categories")
@require("catalogue.manage")
def category_list():
    account, commune = _commune()
    rows = []
    if commune is not None:
        logic.check_manager(account, commune)
        rows = logic.commune_categories(commune)
        db.session.commit()  # the seed list, the first time
    return render_template("central/categories.html", commune=commune, categories=rows,
                           communes=logic.known_communes(account),
                           commune_label=commune_label)


@bp.post("/categories")
@require("catalogue.manage")
def add_category():
    account, commune = _commune(change=True)
    if commune is None:
        flash(_("Hãy chọn xã."), "error")
        return redirect(url_for(".category_list"))

    def add() -> str:
        category = logic.add_category(account, commune, request.form.get("name"),
                                      request.form.get("code"))
        return _("Đã thêm lĩnh vực “%(name)s”.", name=category.name)

    return _done(".category_list", commune, add)


@bp.post("/categories/<int:category_id>")
@require("catalogue.manage")
def change_category(category_id: int):
    account = office_account()
    category = logic.get_category(account, category_id)
    what = request.form.get("action")
    if what not in ("rename", "up", "down", "deactivate", "activate"):
        flash(_("Thao tác không hợp lệ."), "error")
        return redirect(url_for(".category_list", commune=category.commune_code))

    def change() -> str:
        if what == "rename":
            logic.rename_category(account, category_id, request.form.get("name"))
            return _("Đã đổi tên; máy bản sẽ nhận ở lần đồng bộ sau.")
        if what in ("up", "down"):
            logic.move_category(account, category_id, -1 if what == "up" else 1)
            return _("Đã sắp xếp lại.")
        logic.set_category_active(account, category_id, what == "activate")
        return (_("Đã dùng lại lĩnh vực này.") if what == "activate"
                else _("Đã ngừng dùng; ý kiến cũ vẫn giữ lĩnh vực này."))

    return _done(".category_list", category.commune_code, change)


@bp.get("/villages")
@require("catalogue.manage")
def village_list():
    account, commune = _commune()
    villages, pairs, counts = [], [], {}
    if commune is not None:
        logic.check_manager(account, commune)
        villages = logic.commune_villages(commune)
        pairs = logic.likely_pairs(villages)
        counts = logic.opinion_counts(commune)
    names = {village.id: village.name for village in villages}
    return render_template("central/villages.html", commune=commune, villages=villages,
                           pairs=pairs, counts=counts, names=names,
                           communes=logic.known_communes(account),
                           commune_label=commune_label)


def _uuid_field(name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.form.get(name, ""))
    except ValueError:
        return None


@bp.post("/villages/merge")
@require("catalogue.manage")
def merge_villages():
    account, commune = _commune(change=True)
    keep, merged = _uuid_field("keep"), _uuid_field("merge")
    if keep is None or merged is None:
        flash(_("Hãy chọn bản giữ lại và bản gộp vào."), "error")
        return redirect(url_for(".village_list", commune=commune))

    def merge() -> str:
        kept = logic.merge_villages(account, keep, merged, request.form.get("reason"))
        return _("Đã gộp vào “%(name)s”; máy bản sẽ nhận ở lần đồng bộ sau.", name=kept.name)

    return _done(".village_list", commune, merge)


@bp.post("/villages/<uuid:village_id>/unmerge")
@require("catalogue.manage")
def unmerge_village(village_id: uuid.UUID):
    account, commune = _commune(change=True)

    def unmerge() -> str:
        village = logic.unmerge_village(account, village_id, request.form.get("reason"))
        return _("Đã tách “%(name)s” ra.", name=village.name)

    return _done(".village_list", commune, unmerge)
