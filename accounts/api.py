"""The API's sign-in: exchanging a username and password for a token."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.lockout import lockout_response
from tasks.services.checks import check_no_nul


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes = []
    # Per client address, on top of the lockout by account and address (the "token" rate).
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        username, password = data.get("username"), data.get("password")
        # JSON may carry numbers, lists or objects: only two non-empty strings are credentials.
        if not (isinstance(username, str) and username.strip() and isinstance(password, str) and password):
            return Response({"detail": "请提供用户名和密码"}, status=status.HTTP_400_BAD_REQUEST)
        username = check_no_nul(username.strip(), "username", "用户名")
        check_no_nul(password, "password", "密码")
        # The Django request, so the lockout counts this attempt like one on the login page.
        user = authenticate(request._request, username=username, password=password)
        if getattr(request._request, "axes_locked_out", False):
            return lockout_response(request._request)
        if user is None or not user.is_active:
            return Response({"detail": "用户名或密码错误"}, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
