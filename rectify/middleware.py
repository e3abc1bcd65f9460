"""Project-wide middleware."""

import json
import logging
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import DataError
from django.http import Http404

from rectify import errors
from tasks.services.audit import acting_request

NUL = "\x00"
NUL_MESSAGE = "请求中含有空字符（\\x00），已拒绝"
logger = logging.getLogger("django.request")
MAX_JSON_DEPTH = 32  # the deepest JSON any endpoint takes is 3 levels (measure notes)


class AuditActorMiddleware:
    """Names the request's signed-in user as the actor of changes audited by signal (``tasks/signals.py``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_request(request):
            return self.get_response(request)


class InputGuardMiddleware:
    """Refuses what no view should ever see, before any view runs, in Chinese (JSON under /api/):

    - a NUL character anywhere in the path, or in the query string of a page or the admin
      (PostgreSQL cannot compare or store it; an address or an admin filter holding one crashed
      the query). The API's parameters and the body fields are refused by their own check,
      naming the field (``tasks.services.checks.check_no_nul``, used by the API's filters, the
      forms and the services): those answers are more precise than this one could be. So a
      body is only read here, any field at any depth of a JSON or form body: if a NUL in it
      still reaches the database (a field no check covers), the driver's refusal becomes this
      400 naming the field (``process_exception``), not a 500;
    - a JSON body nested deeper than ``MAX_JSON_DEPTH`` (a deeper one exhausted the parser);
    - a body other than a multipart upload above ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413): the one
      limit for JSON and forms alike, which Django applies to forms only. Uploaded files have
      their own limit (``EVIDENCE_MAX_BYTES``, each file).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.check(request)
        if refusal is not None:
            status, message = refusal
            return errors.refuse(request, message, status)
        return self.get_response(request)

    def check(self, request):
        if NUL in request.path:
            return 400, NUL_MESSAGE
        if not errors.is_api(request) and NUL in unquote(
            request.META.get("QUERY_STRING", ""), errors="replace"
        ):
            return 400, NUL_MESSAGE
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.content_type or ""
        if content_type == "multipart/form-data":
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, "请求头 Content-Length 不正确"
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return 413, f"提交的内容超过 {limit // (1024 * 1024)} MB 上限"
        if content_type == "application/json" or content_type.endswith("+json"):
            return self.check_json(request)
        return None

    def check_json(self, request):
        too_deep = 400, f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层"
        body = request.body
        try:
            data = json.loads(body) if body.strip() else None
        except RecursionError:
            return too_deep
        except ValueError:
            return None  # malformed JSON: the API's parser answers it (400 in Chinese)
        stack = [(data, 1, "")]
        nul_fields = []
        while stack:
            value, depth, where = stack.pop()
            if isinstance(value, (dict, list)):
                if depth > MAX_JSON_DEPTH:
                    return too_deep
                items = value.items() if isinstance(value, dict) else enumerate(value)
                for key, item in items:
                    name = f"{where}.{key}" if where else str(key)
                    if isinstance(key, str) and NUL in key:
                        nul_fields.append(name)
                    stack.append((item, depth + 1, name))
            elif isinstance(value, str) and NUL in value:
                nul_fields.append(where or "（整个请求体）")
        request.nul_fields = sorted(nul_fields)
        return None

    def process_exception(self, request, exception):
        """A NUL no field check caught, refused by the database driver: a 400 naming the field."""
        if not is_nul_refusal(exception):
            return None
        fields = getattr(request, "nul_fields", None)
        if fields is None and hasattr(request, "_post"):  # a form the view (or the CSRF check) has read
            fields = sorted(
                {key for key, values in request._post.lists() if NUL in key or any(NUL in v for v in values)}
            )
        fields = [name.replace(NUL, "\\x00") for name in fields or []]
        where = f"字段 {'、'.join(fields)} " if fields else ""
        return errors.refuse(request, f"{where}含有空字符（\\x00），已拒绝".lstrip(), 400)


def is_nul_refusal(exception) -> bool:
    """PostgreSQL's drivers refuse a NUL in text (``ValueError``) and ``\\u0000`` in JSON (``DataError``)."""
    text = str(exception)
    if isinstance(exception, ValueError) and "NUL (0x00)" in text:
        return True
    return isinstance(exception, DataError) and ("\\u0000" in text or "0x00" in text)


class SiteErrorPagesMiddleware:
    """With DEBUG true (the demo, ``make run``), a not-found address or a crash answers the site's own
    Chinese page (``templates/404.html``, ``500.html``; JSON under /api/), as in production, instead
    of Django's English debug page. ``SITE_ERROR_PAGES=false`` gives a developer the debug pages back.
    The crash is still logged with its traceback (``django.request``). With DEBUG false Django
    already answers through ``rectify.errors`` and this does nothing.

    Two ways a debug page is made: a view (or its template) raises, which ``process_exception``
    answers; or no URL matches, which Django answers before any view: the response is then a 404
    with no ``resolver_match`` on the request, replaced here by the site's page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _active() -> bool:
        return settings.DEBUG and settings.SITE_ERROR_PAGES

    def __call__(self, request):
        response = self.get_response(request)
        if (
            self._active()
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return errors.not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if not self._active():
            return None
        if isinstance(exception, Http404):
            return errors.not_found(request, exception)
        if isinstance(exception, PermissionDenied | BadRequest | SuspiciousOperation):
            return None  # Django answers these with the site's 400/403 pages even with DEBUG
        logger.error(
            "Internal Server Error: %s", request.path, exc_info=exception, extra={"status_code": 500}
        )
        return errors.server_error(request)
