"""The inbox pages: the filtered list, one opinion with its history, an office change."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from sync.records import CHANNELS, LEVELS, OPINION_KINDS, WORKFLOW_STATUSES

from ...errors import ValidationFailed
from ...extensions import db
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import can, require, scoped
from ..catalogue import logic as catalogue
from ..catalogue.models import OfficeVillage, Unit
from . import logic


def _choices(account) -> dict:
    """Return what the filter boxes offer: the account's villages and units."""
    # Names and ids only: a province's account lists 3,000 villages, and whole objects
    # cost most of the page's time.
    villages = db.session.execute(scoped(
        select(OfficeVillage.id, OfficeVillage.name).where(
            OfficeVillage.deleted.is_(False), OfficeVillage.merged_into.is_(None)),
        account, OfficeVillage.commune_code).order_by(OfficeVillage.name)).all()
    units = db.session.execute(
        select(Unit.id, Unit.name).where(Unit.active.is_(True)).where(
            Unit.commune_code.is_(None) if account.commune_code is None else
            (Unit.commune_code.is_(None) | (Unit.commune_code == account.commune_code)))
        .order_by(Unit.name)).all()
    return {"villages": villages, "units": units, "kinds": OPINION_KINDS,
            "channels": CHANNELS, "levels": LEVELS, "statuses": WORKFLOW_STATUSES,
            "sorts": tuple(logic.SORTS)}


@bp.get("/inbox")
@require("inbox.view")
def inbox():
    account = office_account()
    filters = logic.Filters.parse(request.args)
    seen_before = account.inbox_seen_at
    if not filters.new:
        # Committed before the page is read: a commit after would expire the opinions
        # and the template would load each one again.
        logic.mark_seen(account)
        db.session.commit()
    page = logic.find_opinions(account, filters)
    names = logic.names_for(page.items)
    args = {name: value for name, value in request.args.items() if name != "page"}
    return render_template("central/inbox.html", page=page, names=names, filters=filters,
                           args=args, seen_before=seen_before,
                           personal=can(account, "personal.view"), **_choices(account))


@bp.get("/opinions/<uuid:record_id>")
@require("inbox.view")
def opinion(record_id: uuid.UUID):
    account = office_account()
    item = logic.get_opinion(account, record_id)
    return render_template("central/opinion.html", item=item,
                           names=logic.names_for([item]), forum=logic.forum_of(item),
                           history=logic.history(item.id),
                           conflicts=logic.conflicts(item.id),
                           categories=catalogue.categories(item.commune_code),
                           personal=can(account, "personal.view"),
                           editable=can(account, "opinion.edit"), **_choices(account))


@bp.post("/opinions/<uuid:record_id>")
@require("opinion.edit")
def update_opinion(record_id: uuid.UUID):
    fields = (*logic.OFFICE_FIELDS, "kind", "category_code", "level")
    values = {name: request.form.get(name) for name in fields if name in request.form}
    try:
        logic.update_opinion(office_account(), record_id, values, request.form.get("reason"))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Đã lưu; máy của bản sẽ nhận ở lần đồng bộ sau."), "success")
    return redirect(url_for(".opinion", record_id=record_id))
