"""The OpenAPI 3 document of the JSON API, built from the views themselves.

Each view carries its summary in its docstring and its schemas in `@doc`;
`build_spec` walks the app's URL map, so a route cannot be left out of the
document: an API view without `@doc` makes the build fail.
(apispec's FlaskPlugin lives in apispec-webframeworks, which the project does
not depend on; walking the URL map does the same in a few lines.)
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from .schemas import ErrorSchema, LocalDateTime

OPENAPI_VERSION = "3.0.3"
# Error statuses → (component name, description); every one has the Error body.
ERRORS = {
    400: ("BadJson", "Thân yêu cầu không phải JSON hợp lệ (code bad_json)."),
    401: ("PinRequired", "Máy khác (điện thoại qua điểm phát Wi-Fi của máy tính) chưa nhập "
                         "mã PIN khi chế độ mạng nội bộ bật (code pin_required)."),
    404: ("NotFound", "Không có bản ghi hoặc đường dẫn này (code not_found)."),
    409: ("Conflict", "Biên bản đã chốt (code forum_finalised) hoặc máy chưa chọn xã "
                      "(code commune_not_set)."),
    413: ("PayloadTooLarge", "Tệp hoặc dữ liệu quá lớn (code payload_too_large)."),
    415: ("UnsupportedMediaType", "Sai Content-Type (code unsupported_media_type)."),
    422: ("ValidationFailed", "Dữ liệu chưa hợp lệ; details nêu từng trường "
                             "(code validation_failed)."),
}
ALWAYS = (401,)
WITH_BODY = (413,)
SUCCESS = {200: "OK", 201: "Đã tạo.",
           204: "Đã xoá."}
REPLAYED = "Đã có bản ghi với id này (gửi lại): trả về bản đã lưu, không tạo thêm."
CONVERTERS = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"}}
RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")

DESCRIPTION = """\
API JSON của Lắng Nghe (máy ghi tại bản và văn phòng xã).

* Mọi lỗi trả về cùng một dạng: `{"status", "code", "message", "details"}`;
  `code` ổn định, `message` viết cho người dùng (tiếng Việt mặc định).
* Mỗi bản ghi mang UUID do máy khách tạo: gửi lại cùng một lệnh tạo (mạng chập
  chờn, đồng bộ lại) chỉ lưu một lần; lần đầu trả 201, các lần sau trả 200 với
  bản đã lưu.
* Văn bản được lưu ở dạng Unicode NFC; tìm kiếm không phân biệt dấu.
* Máy ghi chỉ trả lời khi `Host` là localhost, 127.0.0.1 hoặc [::1] (với `--lan`:
  cả địa chỉ IP của máy); tên khác: 400 `host_not_allowed`. Lệnh ghi (POST, PUT,
  PATCH, DELETE) có `Origin` của trang web khác: 403 `cross_origin`; không có
  `Origin` (dòng lệnh, script) thì được.
"""


def doc(tag: str, *, responses: dict[int, Any], body: Schema | None = None,
        query: Schema | None = None, errors: tuple[int, ...] = (),
        media_type: str = "application/json"):
    """Attach the OpenAPI details of a view: its body, query, responses and errors.

    `responses` maps a success status to the schema of its JSON body, None
    for no body, or a ready OpenAPI content mapping (a file download).
    """

    def mark(view):
        view.openapi = {"tag": tag, "responses": responses, "body": body, "query": query,
                        "errors": errors, "media_type": media_type}
        return view

    return mark


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """Return a Flask rule as an OpenAPI path and its path parameters."""
    parameters = []
    for match in RULE_ARGUMENT.finditer(rule):
        parameters.append({"in": "path", "name": match["name"], "required": True,
                           "schema": CONVERTERS.get(match["converter"], {"type": "string"})})
    return RULE_ARGUMENT.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def _response(status: int, schema, replay: bool) -> dict:
    description = REPLAYED if replay and status == 200 else SUCCESS.get(status, "OK")
    if schema is None:
        return {"description": description}
    if isinstance(schema, dict):
        return {"description": description, "content": schema}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def operation(endpoint: str, view) -> dict:
    """Return the OpenAPI operation of one view, from its docstring and `@doc`."""
    meta = getattr(view, "openapi", None)
    if meta is None:
        raise RuntimeError(f"API view {endpoint} has no @doc: the OpenAPI document would "
                           "miss it")
    summary, _, rest = inspect.cleandoc(view.__doc__ or endpoint).partition("\n")
    op: dict[str, Any] = {"operationId": endpoint.removeprefix("api."), "tags": [meta["tag"]],
                          "summary": summary.strip()}
    if rest.strip():
        op["description"] = rest.strip()
    if meta["query"] is not None:
        op["parameters"] = [{"in": "query", "schema": meta["query"]}]
    if meta["body"] is not None:
        op["requestBody"] = {"required": True,
                             "content": {meta["media_type"]: {"schema": meta["body"]}}}
    replay = 201 in meta["responses"]
    op["responses"] = {str(status): _response(status, schema, replay)
                       for status, schema in meta["responses"].items()}
    # Refusals made before any view runs: the LAN PIN guard (any request from a
    # phone on the hotspot) and Flask's MAX_CONTENT_LENGTH (any body).
    errors = {*meta["errors"], *ALWAYS, *(WITH_BODY if meta["body"] is not None else ())}
    for status in sorted(errors):
        op["responses"][str(status)] = ERRORS[status][0]
    return op


def build_spec(app: Flask) -> APISpec:
    """Return the OpenAPI document of every route of the API blueprint."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Lắng Nghe API", version="1", openapi_version=OPENAPI_VERSION,
                   plugins=[plugin], info={"description": DESCRIPTION})
    assert plugin.converter is not None
    # A meeting time is sent without an offset: RFC 3339 "date-time" would need one.
    plugin.converter.map_to_openapi_type(LocalDateTime, "string", "date-time-local")
    spec.components.schema("Error", schema=ErrorSchema)
    for name, description in ERRORS.values():
        spec.components.response(name, {
            "description": description,
            "content": {"application/json": {"schema": ErrorSchema}}})
    paths: dict[str, dict] = defaultdict(lambda: {"operations": {}, "parameters": []})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".")[0] != "api":
            continue
        path, parameters = openapi_path(rule.rule)
        entry = paths[path]
        entry["parameters"] = parameters
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entry["operations"][method.lower()] = operation(rule.endpoint,
                                                            app.view_functions[rule.endpoint])
    for path, entry in paths.items():
        spec.path(path=path, operations=entry["operations"], parameters=entry["parameters"])
    return spec
