"""Correlation ids: one per request, echoed in the response and carried into the audit log."""

import re
import uuid

HEADER = "X-Correlation-ID"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


class CorrelationIdMiddleware:
    """Takes a well-formed ``X-Correlation-ID`` from the caller or makes one.

    A caller's id is kept so a channel can follow its own id through our logs;
    anything malformed is replaced rather than trusted into logs and headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(HEADER, "")
        request.correlation_id = offered if _ACCEPTABLE.match(offered) else new_correlation_id()
        response = self.get_response(request)
        response[HEADER] = request.correlation_id
        return response
