"""The OpenAPI document of the office API, built by the field API's builder.

`field_app.api.openapi.build_spec` walks the URL map for the `central_api`
blueprint: each view's docstring, `@doc` and `require` action make its
operation, so a route cannot be left out of the document.
"""

from __future__ import annotations

from ...api.openapi import ERRORS, ApiDocument
from ..accounts.permissions import ACTIONS, PERMISSIONS

DESCRIPTION = """\
API JSON của văn phòng xã (máy chủ trung tâm Lắng Nghe), cho hệ thống của tỉnh và
cho script.

* Xác thực: `Authorization: Bearer <mã truy cập>` (tạo bằng
  `langnghe central create-token`). Mã truy cập làm việc với vai trò và xã của tài
  khoản: tài khoản của một xã chỉ thấy ý kiến của xã đó; cán bộ đơn vị chỉ thấy
  việc của đơn vị mình.
* Mọi lỗi trả về cùng một dạng: `{"status", "code", "message", "details"}`;
  `code` ổn định, `message` viết cho người dùng (tiếng Việt mặc định).
* Ý kiến mang `id` do máy bản tạo. Tìm kiếm (`q`) không phân biệt dấu và hoa
  thường: "duong" tìm ra "đường".
* Trên dữ liệu lớn, `total` được đếm đến một ngưỡng: khi `total_exact` là false
  thì `total` là cận dưới (vẫn biết có trang sau hay không).
"""

OFFICE_ERRORS = {
    **{status: ERRORS[status] for status in (400, 404, 413, 415, 422)},
    401: ("Unauthorized", "Thiếu mã truy cập, mã sai, đã thu hồi hoặc tài khoản đã khoá "
                          "(code unauthorized)."),
    403: ("Forbidden", "Vai trò của tài khoản không có quyền này, hoặc xã được hỏi không "
                       "phải xã của tài khoản (code forbidden)."),
    409: ("TransitionRefused", "Vụ việc không chuyển được sang trạng thái này (lý do trong "
                               "message; code transition_refused)."),
}


def describe_action(action: str) -> str:
    """Say which permission an operation needs and which roles hold it."""
    roles = ", ".join(role for role, actions in PERMISSIONS.items() if action in actions)
    return f"Quyền cần có: `{action}` ({ACTIONS[action]}); vai trò: {roles}."


OFFICE_API = ApiDocument(
    blueprint="central_api", title="Lắng Nghe office API", description=DESCRIPTION,
    errors=OFFICE_ERRORS,
    security={"bearer": {"type": "http", "scheme": "bearer",
                         "description": "Mã truy cập API của một tài khoản văn phòng."}},
    describe_action=describe_action)
