"""The OpenAPI schema says what the API answers when it refuses, not only when it succeeds.

A postprocessing hook for drf-spectacular (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``):
every operation documents the error body of ``tasks/api/errors.py`` (``{"detail": "…",
"errors": {field: [...]}}``, in Chinese) for the refusals it can give:

- 400 bad input (a query parameter, a body, a NUL character anywhere, a page that is no number);
- 401 no or an invalid credential; 403 the caller's role may not; 404 not there or not the
  caller's to see (also for a page number past the end);
- 409 / 412 for writes: a conflicting state or a stale ``version``;
- 413 a body over the limit; 415 a body that is not JSON, a form or a file upload;
- 429 too many requests (the token endpoint's throttle and the login lockout);
- 302 for an endpoint that also answers the desk's form (``format=html``): a browser signed out is
  sent to the login page, one that opened the form's address to the desk.

The fuzz test (``tests/test_api_fuzz.py``) holds the API to this schema.
"""

ERROR = {
    "type": "object",
    "description": "拒绝的原因（中文）；字段错误在 errors 中按字段列出",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail"],
}

READ = {
    "400": "请求参数有误",
    "401": "未登录或身份凭证无效",
    "403": "无权执行此操作",
    "404": "对象不存在或无权查看",
    "429": "请求过于频繁",
}
WRITE = {
    **READ,
    "409": "当前状态不允许该操作",
    "412": "该事项已被他人更新，请刷新后重试",
    "413": "请求内容过大",
    "415": "不支持的请求格式",
}

FORM_REDIRECT = "浏览器表单：未登录时转到登录页，直接打开地址时转到工作台"


def document_errors(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = READ if method in ("get", "head", "options") else WRITE
            content = {"application/json": {"schema": reference}}
            # An endpoint that also answers a page (the desk's upload form) refuses with a page too.
            if any("text/html" in r.get("content", {}) for r in operation["responses"].values()):
                content["text/html"] = {"schema": {"type": "string"}}
                # and a browser signed out, or one that opened the form's address, is sent on (a page's
                # address in Location): to the login page, or to the desk where the form is
                operation["responses"].setdefault("302", {"description": FORM_REDIRECT})
            for code, description in codes.items():
                operation["responses"].setdefault(code, {"description": description, "content": content})
    return result


class SignedInUnlessDebug:
    """Who may read the schema and the API docs: anyone while DEBUG (the demo, development), else a
    signed-in user. Asked at request time, so a settings override (the tests, `make test`'s DEBUG) holds."""

    def has_permission(self, request, view) -> bool:
        from django.conf import settings  # noqa: PLC0415 - read per request, not at import

        return settings.DEBUG or bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        return self.has_permission(request, view)
