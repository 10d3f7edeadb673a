"""The inbox pages: the filtered list, one opinion with its history, an office change;
forums and their opinions; the photos laptops sent."""

from __future__ import annotations

import uuid
from dataclasses import replace

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import false, select

from sync import store
from sync.records import CHANNELS, FORUM_KINDS, LEVELS, OPINION_KINDS, WORKFLOW_STATUSES

from ...areas.logic import commune_label
from ...errors import NotFound, ValidationFailed
from ...extensions import db
from ...opinions.logic import vietnam_today
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import can, require, scoped, scoped_units
from ..catalogue import logic as catalogue
from ..catalogue.models import OfficeVillage, Unit
from ..devices import logic as devices
from ..duplicates import logic as duplicates
from . import logic
from .history import readable

# A select box stays usable: a province's server lists one commune's villages at a time.
MAX_CHOICES = 500


def _choices(account, commune: int | None = None, unit: int | None = None) -> dict:
    """Return what the filter boxes offer: the villages, units and devices of the account's
    commune (for a server-wide account: of the commune it filters on, if any); `unit`, the
    one filtered on, is offered too (a province report's drill-down names a commune's)."""
    commune = account.commune_code if account.commune_code is not None else commune
    # Names and ids only: whole objects cost most of a province account's page.
    villages = scoped(select(OfficeVillage.id, OfficeVillage.name).where(
        OfficeVillage.deleted.is_(False), OfficeVillage.merged_into.is_(None)),
        account, OfficeVillage.commune_code)
    units = select(Unit.id, Unit.name).where(Unit.active.is_(True))
    laptops = scoped(select(store.device.c.id, store.device.c.label), account,
                     store.device.c.commune_code)
    if not can(account, "devices.view"):  # a unit handler: laptops are not its business
        laptops = laptops.where(false())
    offered = Unit.commune_code.is_(None)
    if commune is not None:
        villages = villages.where(OfficeVillage.commune_code == commune)
        offered = offered | (Unit.commune_code == commune)
        laptops = laptops.where(store.device.c.commune_code == commune)
    if unit is not None and account.commune_code is None:  # a commune's own are offered
        offered = offered | (Unit.id == unit)
    units = scoped_units(units.where(offered), account, Unit.id)
    # A province's server has thousands of villages: they are offered once a commune is
    # chosen (an arbitrary first 500 of them would only mislead, and cost the page).
    return {"villages": db.session.execute(villages.order_by(OfficeVillage.name)
                                           .limit(MAX_CHOICES)).all()
            if commune is not None else [],
            "units": db.session.execute(units.order_by(Unit.name)).all(),
            "devices": db.session.execute(laptops.order_by(store.device.c.label)
                                          .limit(MAX_CHOICES)).all(),
            "kinds": OPINION_KINDS, "channels": CHANNELS, "levels": LEVELS,
            "statuses": WORKFLOW_STATUSES, "sorts": tuple(logic.SORTS)}


@bp.get("/inbox")
@require("inbox.view")
def inbox():
    account = office_account()
    try:
        filters, refused = logic.Filters.parse(request.args), {}
    except ValidationFailed as exc:
        # The form again, the refused boxes marked and no list: a list that ignored the
        # box would pass for a filtered one.
        refused = exc.details or {}
        flash(exc.message, "error")
        filters = logic.Filters.parse({name: value for name, value in request.args.items()
                                       if name not in refused})
    if refused:
        since, page = None, logic.InboxPage([], 0, 1, filters.per_page)
    else:
        since, session["inbox_visit"] = logic.visit(account, session.get("inbox_visit"))
        # Never looked before: everything is new, the "only new" box keeps everything.
        query_filters = filters if since is not None else replace(filters, new=False)
        page = logic.find_opinions(account, query_filters, new_since=since)
    names = logic.names_for(page.items)
    # Pairs the page's rows the central's thread has not reached yet: done beside the
    # page and kept, not redone by every look until the thread gets there.
    similar = duplicates.similar_counts(account, [item.id for item in page.items])
    categories = catalogue.categories(account.commune_code)
    server_wide = account.commune_code is None
    communes = ([(code, commune_label(code)) for code in logic.communes_seen(account)]
                if server_wide else [])
    choices = _choices(account, filters.commune, filters.unit)
    _commit_keeping_loaded()
    args = {name: value for name, value in request.args.items() if name != "page"}
    return render_template("central/inbox.html", page=page, names=names, filters=filters,
                           args=args, seen_before=since, server_wide=server_wide,
                           communes=communes, commune_label=commune_label,
                           categories=categories, similar=similar,
                           personal=can(account, "personal.view"), refused=refused,
                           **choices), 422 if refused else 200


def _commit_keeping_loaded() -> None:
    """Commit the page's one transaction (on PostgreSQL: the visit, the pairing) before
    rendering it, without expiring what it read: expired, each opinion listed would be
    loaded again."""
    orm = db.session()
    orm.expire_on_commit = False
    try:
        orm.commit()
    finally:
        orm.expire_on_commit = True


@bp.post("/inbox/seen")
@require("inbox.view")
def inbox_seen():
    """Start a new visit now: nothing listed is "new" any more."""
    account = office_account()
    session.pop("inbox_visit", None)
    logic.mark_seen(account)
    db.session.commit()
    return redirect(url_for(".inbox"))


def _history(entries, item, hidden: bool) -> list:
    """Return the readable history of one record, with its devices' labels and pushes."""
    villages, units = {item.village_id} - {None}, {getattr(item, "unit_id", None)} - {None}
    for entry in entries:
        for name, pair in (entry.changes or {}).items():
            for value in pair if isinstance(pair, list) else [pair]:
                if name == "village_id" and value:
                    villages.add(uuid.UUID(str(value)))
                elif name == "unit_id" and isinstance(value, int):
                    units.add(value)
    conn = db.session.connection()
    return readable(entries, hidden, logic.names_of(villages, units),
                    devices.labels(conn, {e.device_id for e in entries if e.device_id}),
                    devices.pushes(conn, {e.push_id for e in entries if e.push_id}))


@bp.get("/opinions/<uuid:record_id>")
@require("inbox.view")
def opinion(record_id: uuid.UUID):
    return _opinion_page(record_id)


def _opinion_page(record_id: uuid.UUID, typed: dict | None = None, errors: dict | None = None):
    """Render the opinion page; `typed`: the "Xử lý" form as sent, shown again when refused."""
    account = office_account()
    item = logic.get_opinion(account, record_id)
    personal = can(account, "personal.view")
    conn = db.session.connection()
    forum = logic.forum_of(item)
    names = logic.names_for([item])
    if forum and forum.village_id and forum.village_id not in names["villages"]:
        names["villages"].update(logic.names_of({forum.village_id}, set())["villages"])
    return render_template("central/opinion.html", item=item, names=names, forum=forum,
                           satisfaction_forum=logic.satisfaction_forum(item),
                           history=_history(logic.history(item.id), item,
                                            not personal or item.identity_protected),
                           conflicts=logic.conflicts(item.id),
                           attachments=logic.attachments_of(opinion_id=item.id),
                           device_label=devices.labels(conn, {item.device_id}).get(
                               item.device_id),
                           push=devices.pushes(conn, {item.push_id} - {None}).get(
                               item.push_id),
                           commune=commune_label(item.commune_code),
                           categories=catalogue.categories(item.commune_code),
                           personal=personal,
                           editable=can(account, "opinion.edit"),
                           typed=typed or {}, errors=errors or {},
                           today_iso=vietnam_today().isoformat(),
                           **_choices(account, item.commune_code))


@bp.get("/forums")
@require("inbox.view")
def forums():
    account = office_account()
    filters = logic.ForumFilters.parse(request.args)
    village = filters.village
    page = logic.find_forums(account, request.args.get("page", 1, type=int),
                             request.args.get("per_page", 50, type=int), filters)
    names = logic.names_of({item.village_id for item in page.items if item.village_id},
                           set())
    counts = logic.opinion_counts(account, {item.id for item in page.items})
    args = {name: value for name, value in request.args.items() if name != "page"}
    return render_template("central/forums.html", page=page, names=names, args=args,
                           counts=counts, filters=filters, forum_kinds=FORUM_KINDS,
                           village=village, server_wide=account.commune_code is None,
                           commune_label=commune_label, **_choices(account))


@bp.get("/forums/<uuid:forum_id>")
@require("inbox.view")
def forum(forum_id: uuid.UUID):
    account = office_account()
    item = logic.get_forum(account, forum_id)
    shown = logic.find_opinions(account, logic.Filters(
        forum=item.id, sort="minutes", page=max(1, request.args.get("page", 1, type=int)),
        per_page=200))
    names = logic.names_of({item.village_id} - {None}, set())
    names["villages"].update(logic.names_for(shown.items)["villages"])
    conn = db.session.connection()
    return render_template("central/forum.html", item=item, names=names, opinions=shown,
                           attachments=logic.attachments_of(forum_id=item.id),
                           history=_history(logic.history(item.id), item, False),
                           device_label=devices.labels(conn, {item.device_id}).get(
                               item.device_id),
                           push=devices.pushes(conn, {item.push_id} - {None}).get(
                               item.push_id),
                           commune=commune_label(item.commune_code),
                           personal=can(account, "personal.view"))


@bp.get("/attachments/<uuid:attachment_id>")
@require("inbox.view")
def attachment(attachment_id: uuid.UUID):
    """Send a photo or file of an opinion or forum the account may see (never as HTML)."""
    item = logic.get_attachment(office_account(), attachment_id)
    path = store.BlobStore(current_app.config["CENTRAL_BLOBS"]).path(item.sha256)
    if not path.is_file():
        raise NotFound(_("Máy bản chưa gửi xong tệp này; hãy xem lại sau lần đồng bộ tới."))
    inline = item.is_photo
    response = send_file(path, mimetype=item.mime_type.lower() if inline
                         else "application/octet-stream", as_attachment=not inline,
                         download_name=item.filename or item.sha256, max_age=3600,
                         etag=item.sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/opinions/<uuid:record_id>")
@require("opinion.edit")
def update_opinion(record_id: uuid.UUID):
    fields = (*logic.OFFICE_FIELDS, "kind", "category_code", "level", "satisfaction")
    values = {name: request.form.get(name) for name in fields if name in request.form}
    try:
        logic.update_opinion(office_account(), record_id, values, request.form.get("reason"))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
        # Shown again as typed: an officer's answer is never lost to a refusal.
        typed = {**values, "reason": request.form.get("reason", "")}
        return _opinion_page(record_id, typed, (exc.details or {}).get("fields")), 422
    db.session.commit()
    flash(_("Đã lưu; máy của bản sẽ nhận ở lần đồng bộ sau."), "success")
    return redirect(url_for(".opinion", record_id=record_id))
