"""Project-wide middleware."""

import json
from urllib.parse import unquote

from django.conf import settings

from rectify import errors
from tasks.services.audit import acting_request

NUL = "\x00"
NUL_MESSAGE = "请求中含有空字符（\\x00），已拒绝"
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
      the query). The API's parameters and every body field are refused by their own check,
      naming the field (``tasks.services.checks.check_no_nul``, used by the API's filters, the
      forms and the services): those answers are more precise than this one could be;
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
            return self.check_json(request.body)
        return None

    def check_json(self, body: bytes):
        too_deep = 400, f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层"
        try:
            data = json.loads(body) if body.strip() else None
        except RecursionError:
            return too_deep
        except ValueError:
            return None  # malformed JSON: the API's parser answers it (400 in Chinese)
        stack = [(data, 1)]
        while stack:
            value, depth = stack.pop()
            if isinstance(value, (dict, list)):
                if depth > MAX_JSON_DEPTH:
                    return too_deep
                stack.extend(
                    (item, depth + 1) for item in (value.values() if isinstance(value, dict) else value)
                )
        return None
