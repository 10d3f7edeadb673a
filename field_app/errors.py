"""One error shape for the whole JSON API, and HTML error pages elsewhere.

Every API error answers::

    {"status": 422, "code": "validation_failed",
     "message": "<readable, Vietnamese by default>", "details": {...}}

`code` is stable: clients branch on it; `message` is for the person.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from sync.errors import is_busy


class AppError(Exception):
    """An error a user can act on; carries its HTTP status and stable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Locked(AppError):
    """The forum is finalised: changes go through an amendment."""

    status = 409
    code = "forum_finalised"


class BadJson(AppError):
    """The body is not valid JSON (cut off, not UTF-8, or empty)."""

    status = 400
    code = "bad_json"


class UnsupportedMediaType(AppError):
    """The body is not of the type the endpoint takes."""

    status = 415
    code = "unsupported_media_type"


class CommuneNotChosen(AppError):
    """The laptop has not been set up for a commune yet."""

    status = 409
    code = "commune_not_set"


class HostNotAllowed(AppError):
    """The Host header names a site this laptop does not serve (DNS rebinding)."""

    status = 400
    code = "host_not_allowed"


class CrossOriginRefused(AppError):
    """An API write sent by a page of another site."""

    status = 403
    code = "cross_origin"


class Forbidden(AppError):
    """The account's role or commune does not allow this; nothing was changed."""

    status = 403
    code = "forbidden"


class Unauthorized(AppError):
    """No valid login or API token (missing, wrong, revoked, or its account disabled)."""

    status = 401
    code = "unauthorized"


HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("Yêu cầu không hợp lệ."),
        404: _("Không tìm thấy trang hoặc bản ghi này."),
        405: _("Phương thức này không được hỗ trợ ở đây."),
        413: _("Tệp hoặc dữ liệu gửi lên quá lớn."),
        415: _("Định dạng dữ liệu không được hỗ trợ; hãy gửi JSON."),
    }
    return messages.get(status, _("Đã có lỗi xảy ra; hãy thử lại."))


def wants_json() -> bool:
    """Tell whether this request should get a JSON error, by its path."""
    return request.path.startswith(("/api/", "/sync/", "/central/api/"))


def error_body(status: int, code: str, message: str, details: dict | None = None):
    return jsonify(status=status, code=code, message=message, details=details or {}), status


def register_error_handlers(app: Flask) -> None:
    """Answer JSON under /api/ and an HTML page elsewhere, for every error.

    Registered on the app, not a blueprint: blueprint handlers never see a
    404 or 405 for a URL that matched no route.
    """

    @app.errorhandler(AppError)
    def handle_app_error(exc: AppError):
        from .extensions import db

        # The refused change must not be flushed again by a query of the error page.
        db.session.rollback()
        if wants_json():
            return error_body(exc.status, exc.code, exc.message, exc.details)
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(DBAPIError)
    def handle_busy_database(exc: DBAPIError):
        """Another writer held the database past the wait: say so, and to try again."""
        from .extensions import db

        if not is_busy(exc):
            raise exc
        db.session.rollback()
        message = _("Máy chủ đang bận ghi dữ liệu khác; chưa có gì thay đổi. "
                    "Hãy thử lại sau ít giây.")
        headers = [("Retry-After", "5")]
        if wants_json():
            body, status = error_body(503, "busy", message)
            return body, status, headers
        return render_template("error.html", status=503, message=message), 503, headers

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        if exc.name == "Bad Request" and "CSRF" in (exc.description or ""):
            if request.path.startswith("/central/") and not wants_json():
                from .central.accounts.permissions import resend_form

                if (again := resend_form()) is not None:
                    return again
            message = _("Phiên làm việc đã hết hạn; hãy tải lại trang và gửi lại.")
            code = "csrf_failed"
        else:
            message = _http_message(status)
            code = HTTP_CODES.get(status, "http_error")
        # The exception's own headers say how to recover: Allow on a 405 (RFC 9110
        # requires it), Retry-After, WWW-Authenticate. The body's type is ours.
        headers = [(name, value) for name, value in exc.get_headers()
                   if name.lower() != "content-type"]
        if wants_json():
            body, status = error_body(status, code, message)
            return body, status, headers
        return render_template("error.html", status=status, message=message), status, headers
