"""The OpenAPI 3 document of the JSON API, built from the views themselves.

Each view carries its summary in its docstring and its schemas in `@doc`;
`build_spec` walks the app's URL map, so a route cannot be left out of the
document: an API view without `@doc` makes the build fail.
(apispec's FlaskPlugin lives in apispec-webframeworks, which the project does
not depend on; walking the URL map does the same in a few lines.)

The same code builds the office API's document (field_app/central/api/openapi.py):
each document is an `ApiDocument` naming its blueprint, its errors and its security.
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask
from marshmallow import Schema

from .schemas import ErrorSchema, LocalDateTime

if TYPE_CHECKING:
    from apispec import APISpec

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
* Máy khác (điện thoại qua điểm phát Wi-Fi) khi máy tính chưa mở cho điện thoại
  (trang Điện thoại, hoặc `--lan`): 403 `phones_off`, trước mọi kiểm tra khác.
* Máy ghi chỉ trả lời khi `Host` là localhost, 127.0.0.1 hoặc [::1] (khi đã mở cho
  điện thoại: cả địa chỉ IP của máy); tên khác: 400 `host_not_allowed`. Lệnh ghi (POST, PUT,
  PATCH, DELETE) có `Origin` của trang web khác: 403 `cross_origin`; không có
  `Origin` (dòng lệnh, script) thì được.
"""


@dataclass(frozen=True)
class ApiDocument:
    """What differs between the API documents built from the URL map."""

    blueprint: str
    title: str
    description: str
    # Error statuses → (component name, description); every one has the Error body.
    errors: dict[int, tuple[str, str]]
    # Refusals any operation may answer, before its view runs.
    always: tuple[int, ...] = ()
    with_body: tuple[int, ...] = WITH_BODY
    # {name: OpenAPI security scheme}; operations of views decorated with
    # `permissions.require` need them, others (the document itself) do not.
    security: dict[str, dict] = field(default_factory=dict)
    # Describe what an operation needs (a view's `required_action`), if anything.
    describe_action: Any = None


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


def operation(endpoint: str, view, document: ApiDocument | None = None) -> dict:
    """Return the OpenAPI operation of one view, from its docstring and `@doc`."""
    document = document or FIELD_API
    meta = getattr(view, "openapi", None)
    if meta is None:
        raise RuntimeError(f"API view {endpoint} has no @doc: the OpenAPI document would "
                           "miss it")
    summary, _, rest = inspect.cleandoc(view.__doc__ or endpoint).partition("\n")
    op: dict[str, Any] = {"operationId": endpoint.partition(".")[2], "tags": [meta["tag"]],
                          "summary": summary.strip()}
    description = rest.strip()
    action = getattr(view, "required_action", None)
    if document.security:
        # Only views behind a permission need a token; the document itself is public.
        op["security"] = [{name: []} for name in document.security] if action else []
        if action and document.describe_action is not None:
            description = (description + "\n\n" if description else "") + \
                document.describe_action(action)
    if description:
        op["description"] = description
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
    errors = {*meta["errors"], *document.always,
              *(document.with_body if meta["body"] is not None else ())}
    if action and document.security:
        errors |= {401, 403}
    for status in sorted(errors):
        op["responses"][str(status)] = document.errors[status][0]
    return op


FIELD_API = ApiDocument(blueprint="api", title="Lắng Nghe API", description=DESCRIPTION,
                        errors=ERRORS, always=ALWAYS)


def build_spec(app: Flask, document: ApiDocument = FIELD_API) -> APISpec:
    """Return the OpenAPI document of every route of the document's blueprint."""
    # apispec on demand: every start of the field app would import it otherwise.
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    plugin = MarshmallowPlugin()
    spec = APISpec(title=document.title, version="1", openapi_version=OPENAPI_VERSION,
                   plugins=[plugin], info={"description": document.description})
    assert plugin.converter is not None
    # A meeting time is sent without an offset: RFC 3339 "date-time" would need one.
    plugin.converter.map_to_openapi_type(LocalDateTime, "string", "date-time-local")
    spec.components.schema("Error", schema=ErrorSchema)
    for name, description in document.errors.values():
        spec.components.response(name, {
            "description": description,
            "content": {"application/json": {"schema": ErrorSchema}}})
    for name, scheme in document.security.items():
        spec.components.security_scheme(name, scheme)
    paths: dict[str, dict] = defaultdict(lambda: {"operations": {}, "parameters": []})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".")[0] != document.blueprint:
            continue
        path, parameters = openapi_path(rule.rule)
        entry = paths[path]
        entry["parameters"] = parameters
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entry["operations"][method.lower()] = operation(
                rule.endpoint, app.view_functions[rule.endpoint], document)
    for path, entry in paths.items():
        spec.path(path=path, operations=entry["operations"], parameters=entry["parameters"])
    return spec
