"""The answer to a sign-in refused by the lockout (django-axes calls ``lockout_response``)."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return f"登录失败次数过多，已暂停登录 {minutes} 分钟。请稍后再试，或请督察办解锁。"


def lockout_response(request, original_response=None, credentials=None):
    """429 in Chinese: JSON for the API, the lockout page for people; ``Retry-After`` for both."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=status)
    else:
        response = render(request, "accounts/locked_out.html", {"message": lockout_message()}, status=status)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
