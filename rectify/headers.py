"""Response headers of the production profile that Django does not set itself.

- ``Cache-Control: no-store, private`` on every private answer — any page of a signed-in user, the
  API, the admin, evidence files and workbooks (all behind a sign-in) — so no shared cache or
  browser history keeps a ledger page or a token. Anonymous public pages (信息公开, its published
  bulletins, the login page) stay cacheable; /static/ is answered by WhiteNoise before this runs.
- ``Permissions-Policy`` (``settings.PERMISSIONS_POLICY``): camera, microphone, geolocation and the
  like refused to every page.

Content-Security-Policy is django-csp's (``CONTENT_SECURITY_POLICY``); HSTS, the referrer and
opener policies are Django's ``SecurityMiddleware``.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control

PRIVATE_PREFIXES = ("/api/", "/admin/")


def is_private(request) -> bool:
    user = getattr(request, "user", None)
    return bool(getattr(user, "is_authenticated", False)) or request.path.startswith(PRIVATE_PREFIXES)


class PrivacyHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_private(request):
            patch_cache_control(response, no_store=True, private=True)
            if "max-age" in response.get("Cache-Control", ""):
                patch_cache_control(response, max_age=0)
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        return response
