"""The API's sign-in and its tokens.

- ``POST /api/auth/token/`` exchanges a username and password for a new token, shown this once
  (only its hash is stored), valid for ``API_TOKEN_LIFETIME_HOURS``.
- ``POST /api/auth/logout/`` revokes the calling token (signed in by session: signs out, which
  revokes every token of the account).
- ``GET /api/auth/tokens/`` the caller's tokens, newest first (the office: everyone's, ``?user=``
  a username); ``POST /api/auth/tokens/<id>/revoke/`` revokes one (anyone else's is a 404 but for
  the office).
"""

from django.contrib.auth import authenticate, logout
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import tokens
from accounts.lockout import lockout_response
from accounts.models import ApiToken, RevokeReason
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
        responses=inline_serializer(
            "TokenResponse",
            {
                "token": serializers.CharField(),
                "id": serializers.IntegerField(),
                "prefix": serializers.CharField(),
                "expires_at": serializers.DateTimeField(),
            },
        ),
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
        token, key = tokens.issue(user)
        return Response(
            {"token": key, "id": token.pk, "prefix": token.prefix, "expires_at": token.expires_at}
        )


class LogoutView(APIView):
    """Sign out of the API: the calling token is revoked."""

    @extend_schema(
        request=None, responses=inline_serializer("LogoutResponse", {"detail": serializers.CharField()})
    )
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            tokens.revoke(actor=request.user, token_id=request.auth.pk, reason=RevokeReason.LOGOUT)
            return Response({"detail": "已退出，本令牌已撤销"})
        logout(request._request)  # a session: signing out revokes every token of the account
        return Response({"detail": "已退出，本账户的令牌已全部撤销"})


class ApiTokenSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    state = serializers.CharField(read_only=True)
    state_label = serializers.CharField(read_only=True)
    revoked_reason_label = serializers.CharField(source="get_revoked_reason_display", read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "username",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "revoked_reason",
            "revoked_reason_label",
            "state",
            "state_label",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("user", str, description="用户名（督察办可查看任何人的令牌）")]
    )
)
class ApiTokenViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ApiTokenSerializer
    lookup_value_regex = "[0-9]+"
    queryset = ApiToken.objects.none()  # the schema's type for <id>; get_queryset scopes to the caller

    def get_queryset(self):
        queryset = tokens.visible_to(self.request.user).order_by("-created_at", "-id")
        username = self.request.query_params.get("user")
        if username:
            queryset = queryset.filter(user__username=check_no_nul(username, "user", "用户"))
        return queryset

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = tokens.revoke(actor=request.user, token_id=pk)
        return Response(self.get_serializer(token).data)
