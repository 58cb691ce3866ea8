"""Request middleware: correlation ids, and chunked request bodies.

Correlation ids: one per request, echoed in the response and carried into the audit log.
"""

import re
import uuid
from io import BytesIO

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse
from django.utils.deprecation import MiddlewareMixin

from syncplatform.core.problems import is_api_request, problem_response

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


class ChunkedBodyMiddleware(MiddlewareMixin):
    """A body sent with ``Transfer-Encoding: chunked`` is read, or refused with 411.

    Django's WSGI request reads exactly ``Content-Length`` bytes, and a chunked
    body has no Content-Length, so without this it would read as empty (an
    order would be refused naming every field). A WSGI server that de-chunks
    the body and ends the input itself says so with ``wsgi.input_terminated``
    (gunicorn does): the input is read up to one byte past
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, so an oversized body still gets 413. A
    server that promises nothing (``wsgiref``) gets 411 Length Required:
    reading its input to the end could block or run into the next request.

    Usable as middleware or, per view, through ``decorator_from_middleware``.
    """

    def process_request(self, request):
        meta = request.META
        if not meta.get("HTTP_TRANSFER_ENCODING") or meta.get("CONTENT_LENGTH"):
            return None
        if not meta.get("wsgi.input_terminated"):
            return length_required(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = meta["wsgi.input"].read(-1 if limit is None else limit + 1)
        meta["CONTENT_LENGTH"] = str(len(body))
        # Django's request reads its private stream; this is the same stream
        # WSGIRequest would have built had the length been declared.
        request._stream = LimitedStream(BytesIO(body), len(body))
        return None


def length_required(request) -> HttpResponse:
    detail = "send the body with a Content-Length header"
    if is_api_request(request):
        return problem_response(request, 411, "length-required", "Length required", detail)
    return HttpResponse(detail, status=411, content_type="text/plain")
