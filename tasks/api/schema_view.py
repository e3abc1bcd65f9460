"""The schema's address: drf-spectacular's view, answering from what it wrote before.

Apart from ``tasks/api/schema.py`` because drf-spectacular's view class reads
``SERVE_PERMISSIONS`` (``tasks.api.schema.SignedInUnlessDebug``) as it is defined.
"""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView


class SchemaView(SpectacularAPIView):
    """The OpenAPI document (drf-spectacular's view), generated and rendered once per process for each
    format and language asked for: it describes the code, which does not change while the process runs
    (no data of the database goes into it). On the development machine an answer took about 230 ms
    (60 ms generating, the rest writing YAML); a repeat copies the bytes. Who may read it is still asked
    on every request (``SignedInUnlessDebug``, before ``get``). Only a language of ``LANGUAGES`` and a
    version the API allows are kept, so no query string grows the store."""

    _answers: dict = {}

    @extend_schema(**SCHEMA_KWARGS)
    def get(self, request, *args, **kwargs):
        from django.conf import settings  # noqa: PLC0415 - the languages of the running settings

        lang = request.GET.get("lang")
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (type(request.accepted_renderer), request.accepted_media_type, version, lang)
        keep = (lang is None or lang in dict(settings.LANGUAGES)) and version == request.GET.get("version")
        answer = self._answers.get(key) if keep else None
        if answer is None:
            response = super().get(request, *args, **kwargs)
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            response.render()
            answer = (response.content, response["Content-Type"], response["Content-Disposition"])
            if keep:
                self._answers[key] = answer
        content, content_type, disposition = answer
        return HttpResponse(content, content_type=content_type, headers={"Content-Disposition": disposition})
