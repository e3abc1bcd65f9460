"""Error answers: JSON for the API (``{"detail": "…"}``), a page in Chinese for people.

Django's own 400/403/404/500 answers come here (``handler400`` … in ``rectify/urls.py``), so an
unknown address or a crash under ``/api/`` is JSON like every other API error, never an HTML page;
the DRF views' own errors are shaped by ``tasks/api/errors.py``.
"""

from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def refuse(request, message: str, status: int = 400):
    """Turn a request away with ``message``: JSON under /api/, else the error page."""
    if is_api(request):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return render(request, "400.html", {"message": message}, status=status)


def bad_request(request, exception=None):
    return refuse(request, "请求不正确", 400) if is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return refuse(request, "您没有执行该操作的权限", 403)
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    return (
        refuse(request, "接口不存在", 404) if is_api(request) else defaults.page_not_found(request, exception)
    )


def server_error(request):
    if is_api(request):
        return refuse(request, "服务器出错了，请稍后再试；问题持续时请联系系统管理员", 500)
    return defaults.server_error(request)
