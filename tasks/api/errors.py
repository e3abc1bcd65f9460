"""One error format for the API: ``{"detail": "…", "errors": {field: [...]}}`` in Chinese."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tasks.services.checks import NUL_MESSAGE
from tasks.services.errors import LedgerError

# DRF messages whose Chinese translation misleads, by error code ("Null characters are not
# allowed." comes out as "不允许是用空字符串", i.e. "empty strings are not allowed").
FIELD_MESSAGES = {"null_characters_not_allowed": NUL_MESSAGE}

MESSAGES = {
    exceptions.NotAuthenticated: "请先登录（未提供身份凭证）",
    exceptions.AuthenticationFailed: "身份凭证无效",
    exceptions.PermissionDenied: "无权执行此操作",
    exceptions.NotFound: "对象不存在或无权查看",
    exceptions.MethodNotAllowed: "不支持该请求方法",
    exceptions.UnsupportedMediaType: "不支持的请求格式",
    exceptions.ParseError: "请求内容格式错误",
    exceptions.Throttled: "请求过于频繁，请稍后再试",
}


def exception_handler(exc, context):
    if isinstance(exc, LedgerError):
        body = {"detail": exc.message}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _reword(response.data)
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        errors = {field: _messages(value) for field, value in errors.items()}
        first = next((messages[0] for messages in errors.values() if messages), "输入有误")
        response.data = {"detail": f"输入有误：{first}", "errors": errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    message = next((text for cls, text in MESSAGES.items() if isinstance(exc, cls)), None)
    detail = getattr(exc, "detail", "")
    if (
        message
        and isinstance(exc, (exceptions.AuthenticationFailed, exceptions.PermissionDenied))
        and detail
        and str(detail)
        not in (
            str(exceptions.AuthenticationFailed.default_detail),
            str(exceptions.PermissionDenied.default_detail),
        )
    ):
        message = str(detail)
    response.data = {"detail": message or str(detail)}
    return response


def _reword(data):
    """The validation errors with our own wording for the codes in ``FIELD_MESSAGES``, at any depth."""
    if isinstance(data, dict):
        return {key: _reword(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_reword(item) for item in data]
    if isinstance(data, exceptions.ErrorDetail) and data.code in FIELD_MESSAGES:
        return exceptions.ErrorDetail(FIELD_MESSAGES[data.code], code=data.code)
    return data


def _messages(value) -> list[str]:
    """A field's errors as a flat list of sentences (the schema's ``Error``): the errors of a list's
    items or of a nested object are named by their place (``第 2 项：…``, ``week：…``)."""
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            place = f"第 {int(key) + 1} 项" if str(key).isdigit() else str(key)
            out += [f"{place}：{message}" for message in _messages(inner)]
        return out
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    return [str(value)]
