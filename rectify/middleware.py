"""Project-wide middleware."""

from tasks.services.audit import acting_request


class AuditActorMiddleware:
    """Names the request's signed-in user as the actor of changes audited by signal (``tasks/signals.py``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_request(request):
            return self.get_response(request)
