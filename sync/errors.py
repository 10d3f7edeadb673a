"""Errors of the sync protocol: each carries its HTTP status and stable code.

Every error crosses the wire as one JSON shape, the same as the app's API::

    {"status": 401, "code": "clock_skew", "message": "<Vietnamese>", "details": {...}}

`code` is stable (clients branch on it); `message` is what the village head
reads, so it says what to do.
"""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """A refused sync request or a sync that cannot go on."""

    status = 400
    code = "bad_request"
    message = "Yêu cầu đồng bộ không hợp lệ."

    def __init__(self, message: str | None = None, details: dict[str, Any] | None = None):
        self.message = message or type(self).message
        self.details = details or {}
        super().__init__(self.message)

    def as_json(self) -> dict[str, Any]:
        """Return the error in the protocol's one JSON shape."""
        return {"status": self.status, "code": self.code, "message": self.message,
                "details": self.details}


class BadBody(SyncError):
    code = "bad_body"
    message = "Dữ liệu gửi lên không đọc được (JSON hoặc UTF-8 hỏng, hoặc bị cắt)."


class BadEnvelope(SyncError):
    status = 422
    code = "bad_envelope"
    message = "Gói đồng bộ sai cấu trúc."


class BodyTooLarge(SyncError):
    status = 413
    code = "body_too_large"
    message = "Gói dữ liệu quá lớn; phần mềm tự chia nhỏ và gửi lại."


class UnsupportedEncoding(SyncError):
    status = 415
    code = "unsupported_encoding"
    message = "Kiểu nén dữ liệu không được hỗ trợ."


class ProtocolMissing(SyncError):
    code = "protocol_missing"
    message = "Yêu cầu thiếu phiên bản giao thức đồng bộ."


class ClientTooOld(SyncError):
    status = 426
    code = "client_too_old"
    message = ("Phần mềm Lắng Nghe trên máy này đã cũ, máy chủ xã không nhận nữa. "
               "Hãy cài bản mới rồi đồng bộ lại; dữ liệu trên máy vẫn được giữ nguyên.")


class ServerTooOld(SyncError):
    status = 400
    code = "server_too_old"
    message = ("Máy chủ xã đang chạy phiên bản Lắng Nghe cũ hơn máy này. Hãy báo văn phòng "
               "xã nâng cấp máy chủ; dữ liệu trên máy vẫn được giữ nguyên.")


class Unauthenticated(SyncError):
    status = 401
    code = "unauthenticated"
    message = "Yêu cầu không có chữ ký của máy đã đăng ký."


class BadSignature(SyncError):
    status = 401
    code = "bad_signature"
    message = "Chữ ký không đúng: máy này chưa đăng ký đúng với máy chủ xã. Hãy đăng ký lại."


class ClockSkew(SyncError):
    status = 401
    code = "clock_skew"
    message = "Giờ của yêu cầu lệch quá xa giờ máy chủ."


class Replayed(SyncError):
    status = 401
    code = "replayed_request"
    message = "Yêu cầu này đã được gửi trước đó (gửi lặp)."


class UnknownDevice(SyncError):
    status = 401
    code = "unknown_device"
    message = "Máy chủ xã không biết máy này. Hãy xin mã đăng ký mới ở văn phòng xã."


class DeviceRevoked(SyncError):
    status = 403
    code = "device_revoked"
    message = ("Máy này đã bị văn phòng xã thu hồi quyền đồng bộ. Dữ liệu vẫn ở trên máy; "
               "hãy liên hệ văn phòng xã để được đăng ký lại.")


class BadEnrolmentCode(SyncError):
    status = 403
    code = "bad_enrolment_code"
    message = "Mã đăng ký không đúng, đã dùng hoặc đã hết hạn. Hãy xin mã mới ở văn phòng xã."


class WrongCommune(SyncError):
    status = 409
    code = "wrong_commune"
    message = ("Mã đăng ký này dành cho xã khác với xã đã chọn trên máy. Mã vẫn còn dùng "
               "được: hãy kiểm tra lại xã trên máy hoặc xin mã đúng xã.")


class OutOfScope(SyncError):
    status = 403
    code = "out_of_scope"
    message = "Bản ghi này nằm ngoài xã/bản mà máy được phép ghi."


class BlobMismatch(SyncError):
    status = 422
    code = "blob_mismatch"
    message = "Tệp ảnh nhận được không khớp mã SHA-256; sẽ gửi lại."


class BadOffset(SyncError):
    status = 409
    code = "bad_offset"
    message = "Vị trí tiếp tục tải tệp không khớp với máy chủ."


class BadBundle(SyncError):
    status = 422
    code = "bad_bundle"
    message = "Tệp đồng bộ (USB) hỏng, bị sửa hoặc không phải của máy đã đăng ký."


class Busy(SyncError):
    """The central's database is held by another writer longer than it waits for it."""

    status = 503
    code = "busy"
    message = ("Máy chủ xã đang bận ghi dữ liệu khác. Dữ liệu vẫn ở trên máy; "
               "máy sẽ tự gửi lại sau ít giây.")
    retry_after = 5


# Lock waits that outlast the database's own timeout: SQLite's "database is locked" (busy
# timeout), PostgreSQL's serialization failure, deadlock and lock_timeout (SQLSTATE).
_BUSY_STATES = {"40001", "40P01", "55P03"}


def is_busy(exc: BaseException) -> bool:
    """Tell a database that is only busy (try again shortly) from one that failed."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in _BUSY_STATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text


class Unreachable(SyncError):
    """Raised on the client: the central did not answer (no link, timeout, cut)."""

    status = 503
    code = "unreachable"
    message = "Không kết nối được máy chủ xã. Dữ liệu vẫn ở trên máy; sẽ thử lại sau."


class ServerFailed(SyncError):
    """Raised on the client: the central answered 5xx or something unreadable."""

    status = 502
    code = "server_failed"
    message = "Máy chủ xã đang gặp lỗi. Dữ liệu vẫn ở trên máy; sẽ thử lại sau."


# Every code a client may meet, for the protocol document and the client's lookup.
ERRORS: dict[str, type[SyncError]] = {
    cls.code: cls for cls in (
        SyncError, BadBody, BadEnvelope, BodyTooLarge, UnsupportedEncoding, ProtocolMissing,
        ClientTooOld, ServerTooOld, Unauthenticated, BadSignature, ClockSkew, Replayed,
        UnknownDevice, DeviceRevoked, BadEnrolmentCode, WrongCommune, OutOfScope,
        BlobMismatch, BadOffset, BadBundle, Busy, Unreachable, ServerFailed)
}


def from_json(status: int, body: Any) -> SyncError:
    """Rebuild the error a server answered, keeping its code, message and details."""
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        cls = ERRORS.get(body["code"], SyncError)
        error = cls(str(body.get("message") or cls.message), body.get("details") or {})
        error.status = status
        error.code = body["code"]
        return error
    if status >= 500:
        return ServerFailed(details={"status": status})
    return SyncError(details={"status": status})
