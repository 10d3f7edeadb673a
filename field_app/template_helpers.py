"""Filters and globals the templates use."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, g, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from markupsafe import Markup

from sync.records import MAX_TEXT

from . import labels
from .text import count, file_size, percent


def register_template_helpers(app: Flask) -> None:
    """Make the label tables and date formatting available in templates."""

    @app.template_filter("label")
    def label(value, table: str):
        if value is None:
            return ""
        # A list shows the same few labels hundreds of times: translate each once a request.
        seen = g.setdefault("_labels", {})
        key = (table, value)
        if key not in seen:
            seen[key] = str(getattr(labels, table).get(value, value))
        return seen[key]

    @app.template_filter("dt")
    def dt(value: datetime | None, fmt: str = "dd/MM/yyyy HH:mm"):
        # Stored times are the laptop's local wall time as typed; show as is.
        return value.strftime(_to_strftime(fmt)) if value else ""

    @app.template_filter("localdt")
    def localdt(value: datetime | None, fmt: str = "dd/MM/yyyy HH:mm"):
        """Show a stored UTC time (created_at, amendments) in the commune's time zone."""
        if value is None:
            return ""
        return to_user_timezone(value.replace(tzinfo=UTC)).strftime(_to_strftime(fmt))

    app.add_template_filter(count, "num")
    app.add_template_filter(file_size, "filesize")
    app.add_template_filter(percent, "percent")
    app.add_template_global(labels.category_label)
    app.add_template_global(labels.forum_status)

    @app.template_global()
    def speaker(opinion) -> str | Markup:
        """Return who raised an opinion as lists show it: never a denouncer's name."""
        if opinion.anonymous:
            return Markup("<em>%s</em>") % _("Giấu tên")
        if opinion.identity_protected:
            return Markup("<em>%s</em>") % _("Giữ bí mật danh tính người tố cáo")
        return opinion.raiser_name or "—"

    def url_with(**changes) -> str:
        """Return this page's URL with some query arguments changed (e.g. page=2)."""
        args = {**request.args.to_dict(), **changes}
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def csrf_field(form) -> Markup:
        """Render a form's CSRF token without an id (pages hold several forms)."""
        token = getattr(form, "csrf_token", None)
        return token(id=False) if token is not None else Markup("")

    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.globals["labels"] = labels
    # A textarea's maxlength: the wire's limit, which static/js/actions.js counts against.
    app.jinja_env.globals["MAX_TEXT"] = MAX_TEXT


def _to_strftime(fmt: str) -> str:
    return (fmt.replace("dd", "%d").replace("MM", "%m").replace("yyyy", "%Y")
            .replace("HH", "%H").replace("mm", "%M"))
