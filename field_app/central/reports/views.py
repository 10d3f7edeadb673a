"""The report pages and files: the dashboard, its downloads, the reports API, and the
public results page (công khai) of a commune.

Thin views: read the period and the commune, call `figures.compute`, lay it out.
"""

from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, fields

from ...api.openapi import doc
from ...areas.logic import commune_label
from ...errors import NotFound, ValidationFailed
from ...opinions.logic import vietnam_today
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import can, require
from ..api.views import api
from ..catalogue.logic import known_communes
from . import charts, exports, figures, periods
from .tables import report_tables

public = Blueprint("public", __name__)
MAX_COMMUNE = 2**31 - 1
PROVINCE_ROWS = 25  # rows of a long table a province's dashboard shows before "all"


@bp.app_template_filter("reportnum")
def report_number(value, kind: str = "int") -> str:
    """Print a report's number as the exports do ("1.234", "96,5"; none: "–")."""
    return exports.cell_text(value, kind)


def _commune_arg() -> int | None:
    value = (request.args.get("commune") or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_COMMUNE:
        raise ValidationFailed(_("Mã xã không hợp lệ: %(value)s", value=value[:20]),
                               {"commune": [_("Mã xã là một số nguyên dương.")]})
    if commune_label(int(value)) == value:  # no commune of the country has this code
        raise NotFound(_("Không có xã mã %(value)s.", value=value))
    return int(value)


@lru_cache(maxsize=4096)
def _query_pair(name: str, value: str) -> str:
    return urlencode([(name, value)], safe="!$'()*,/:;?@")  # werkzeug's (url_for's) encoding


def _with_query(path: str, args: dict) -> str:
    """Return `path` with `args` as its query, as url_for writes it (None left out)."""
    query = "&".join(_query_pair(name, str(value)) for name, value in args.items()
                     if value is not None)
    return f"{path}?{query}" if query else path


def _figures(personal: bool = False) -> figures.Figures:
    account = office_account()
    period = periods.from_args(request.args, vietnam_today())
    return figures.compute(account, period, _commune_arg(), personal=personal)


def _file(kind: str) -> Response:
    """Answer the report as a file; personal data only for roles that may see it."""
    account = office_account()
    made = _figures(personal=can(account, "personal.view"))
    response = Response(exports.build(kind, made), content_type=exports.TYPES[kind])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(made, kind)}"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/reports")
@require("reports.view")
def reports():
    """Show the dashboard: charts, each with its table, and the drill-down links."""
    account = office_account()
    made = _figures()
    tables = report_tables(made)
    base = {"date_from": made.period.start.isoformat(), "date_to": made.period.end.isoformat()}
    if made.commune is not None and account.commune_code is None:
        base["commune"] = made.commune

    # A province's page has thousands of these links: the two paths are built once, and
    # each link adds its query as url_for would (werkzeug's encoding, None left out).
    paths = {"forums": url_for("central.forums"), "inbox": url_for("central.inbox")}

    def link(table, row_index: int | None, column: int | None = None) -> str | None:
        """Return the records behind a row (or one cell of it; row None: the total row),
        None if nothing to show."""
        if row_index is None:
            filters = table.total_filters
        else:
            filters = table.links[row_index] if row_index < len(table.links) else None
        if filters is None:
            return None
        if column in table.column_filters and table.column_filters[column] is None:
            return None
        filters = {**filters, **(table.column_filters.get(column) or {})}
        if table.link_to == "forums" and "village" in filters:
            # A village's forums, any time: has it held one?
            return _with_query(paths["forums"], {"village": filters["village"]})
        return _with_query(paths[table.link_to], {**base, **filters})

    args = {name: value for name, value in request.args.items()
            if name in ("period", "from", "to", "commune") and value}
    # A province's long tables (hundreds of villages, units, late opinions: ~0.9 MB of
    # links) show their first rows; "full" shows one of them whole, and the files have all.
    shown = {}
    if made.commune is None:
        shown = {table.key: PROVINCE_ROWS for table in tables
                 if len(table.rows) > PROVINCE_ROWS and table.key != request.args.get("full")}
    return render_template(
        "central/reports.html", figures=made, tables=tables, charts=charts, link=link,
        shown=shown,
        choices=periods.choices(vietnam_today()), args=args,
        server_wide=account.commune_code is None,
        communes=known_communes(account) if account.commune_code is None else [],
        commune_label=commune_label, inbox_base=base)


@bp.get("/reports/file.<any(xlsx, csv, docx):kind>")
@require("reports.view")
def report_file(kind: str):
    """Download the dashboard's report as XLSX, CSV or DOCX."""
    return _file(kind)


# --- the office API ------------------------------------------------------------------------


class ReportQuerySchema(Schema):
    """The report's period (a code, or from and to) and commune."""

    period = fields.String(metadata={
        "description": "Kỳ báo cáo: 2026-Q1 (10/12/2025–09/3/2026), 2026-H1 (đến 09/6), "
                       "2026-Q3 (10/6–09/9), 2026-Y (10/12/2025–09/12/2026) hoặc tháng "
                       "2026-03. Bỏ trống: kỳ đang làm báo cáo.", "example": "2026-Q1"})
    from_ = fields.Date(data_key="from", metadata={
        "description": "Từ ngày (thay cho period, cùng với to)."})
    to = fields.Date(metadata={"description": "Đến hết ngày (gồm cả ngày này)."})
    commune = fields.Integer(metadata={
        "description": "Mã xã (chỉ tài khoản cấp tỉnh chọn được xã khác; bỏ trống: mọi xã "
                       "của tài khoản, xếp hạng)."})


class PeriodSchema(Schema):
    code = fields.String()
    start = fields.Date()
    end = fields.Date(metadata={"description": "Ngày cuối kỳ (gồm cả ngày này)."})
    due = fields.Date(metadata={"description": "Hạn gửi báo cáo (ngày 10 của tháng cuối kỳ)."})
    days_left = fields.Integer()
    label = fields.String()
    year_start = fields.Date()


class ForumsSchema(Schema):
    total = fields.Integer()
    by_kind = fields.List(fields.Dict())
    attendance = fields.Dict()


class ReportSchema(Schema):
    """The report's figures (same numbers as the dashboard, the XLSX and the DOCX)."""

    period = fields.Nested(PeriodSchema)
    forums = fields.Nested(ForumsSchema)
    commune = fields.Integer(allow_none=True)
    commune_name = fields.String(allow_none=True)
    as_of = fields.Date()
    coverage = fields.Dict()
    opinions = fields.Dict()
    handling = fields.Dict()
    satisfaction = fields.List(fields.Dict())
    communes = fields.List(fields.Dict())
    late_list = fields.List(fields.Dict())


report_query_schema = ReportQuerySchema()
report_schema = ReportSchema()


def _download(media_type: str) -> dict:
    return {media_type: {"schema": {"type": "string", "format": "binary"}}}


@api.get("/v1/reports")
@doc("reports", query=report_query_schema, responses={200: report_schema},
     errors=(400, 404, 422))
@require("reports.view")
def report_json():
    """Answer a period's report figures as JSON (the dashboard's numbers).

    A commune account gets its commune (another commune: 403); a province
    account every commune side by side, ranked, or the one it names.
    """
    # Not jsonify: it sorts the keys, and the answer starts with `period`, then `forums`.
    body = json.dumps(_figures().as_json(), ensure_ascii=False)
    return Response(body, mimetype="application/json")


@api.get("/v1/reports.xlsx")
@doc("reports", query=report_query_schema, responses={200: _download(exports.XLSX_TYPE)},
     errors=(400, 404, 422))
@require("reports.view")
def report_xlsx():
    """Download the report as an XLSX workbook (one sheet a table, with charts)."""
    return _file("xlsx")


@api.get("/v1/reports.docx")
@doc("reports", query=report_query_schema, responses={200: _download(exports.DOCX_TYPE)},
     errors=(400, 404, 422))
@require("reports.view")
def report_docx():
    """Download the report as a DOCX administrative document (Nghị định 30/2020)."""
    return _file("docx")


@api.get("/v1/reports.csv")
@doc("reports", query=report_query_schema, responses={200: _download("text/csv")},
     errors=(400, 404, 422))
@require("reports.view")
def report_csv():
    """Download the report's tables as CSV (UTF-8)."""
    return _file("csv")


# --- công khai ------------------------------------------------------------------------------


@public.get("/public/<int:commune>")
def public_results(commune: int):
    """Show a commune's public results: headline figures and the answers, no personal data."""
    if commune > MAX_COMMUNE or commune_label(commune) == str(commune):
        raise NotFound(_("Không có xã mang mã này."))
    period = periods.from_args(request.args, vietnam_today())
    made = figures.compute(figures.PublicReader(commune), period, commune)
    answers = figures.published_answers(commune, period)
    return render_template("central/public.html", figures=made, answers=answers,
                           choices=periods.choices(vietnam_today()),
                           commune_name=commune_label(commune), commune=commune)
