"""RFC 9457 problem details for every API error.

Every error response is ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail`` and ``correlation_id``; validation errors add ``errors``,
a list of ``{"field": "lines[0].quantity", "message": "..."}``.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler

PROBLEM_BASE = "https://syncplatform.dev/problems/"
CONTENT_TYPE = "application/problem+json"


class Problem(exceptions.APIException):
    """An API error with its own problem type; raise from views and services."""

    def __init__(
        self, status_code: int, slug: str, title: str, detail: str, errors: list[dict] | None = None
    ):
        super().__init__(detail)
        self.status_code = status_code
        self.slug = slug
        self.title = title
        self.errors = errors or []


class ProblemFieldSerializer(serializers.Serializer):
    field = serializers.CharField(help_text='The field, as a path: "lines[0].quantity"')
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """The OpenAPI description of a problem body (what ``problem_response`` writes)."""

    type = serializers.URLField(help_text=f"{PROBLEM_BASE}<slug>")
    title = serializers.CharField()
    status = serializers.IntegerField(min_value=400, max_value=599)
    detail = serializers.CharField()
    correlation_id = serializers.CharField(help_text="also in the X-Correlation-ID header")
    errors = ProblemFieldSerializer(many=True, required=False, help_text="validation errors")


def problem_responses(*statuses: int) -> dict:
    """OpenAPI responses for ``statuses``: problem JSON under its own media type."""
    described = OpenApiResponse(ProblemSerializer, description="RFC 9457 problem details")
    return {(code, CONTENT_TYPE): described for code in statuses}


def problem_response(request, status_code, slug, title, detail, errors=None) -> JsonResponse:
    body = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status_code,
        "detail": detail,
        "correlation_id": getattr(request, "correlation_id", None),
    }
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status_code, content_type=CONTENT_TYPE)


def flatten_errors(detail, prefix: str = "") -> list[dict]:
    """Turn DRF's nested error dict/list into ``[{"field": "lines[0].sku", "message": ...}]``."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            if isinstance(key, int):
                # DRF >= 3.18 reports list items as {index: errors}, not as a list.
                name = f"{prefix}[{key}]"
            elif key == "non_field_errors":
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else key
            found.extend(flatten_errors(value, name))
        return found
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"field": prefix or "body", "message": str(item)} for item in detail]
        found = []
        for index, item in enumerate(detail):
            if item:
                found.extend(flatten_errors(item, f"{prefix}[{index}]"))
        return found
    return [{"field": prefix or "body", "message": str(detail)}]


_BY_EXCEPTION = [
    (exceptions.ParseError, "malformed-json", "Malformed JSON"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type", "Unsupported media type"),
    (exceptions.NotAuthenticated, "unauthenticated", "Authentication required"),
    (exceptions.AuthenticationFailed, "unauthenticated", "Authentication failed"),
    (exceptions.PermissionDenied, "forbidden", "Forbidden"),
    (exceptions.NotFound, "not-found", "Not found"),
    (exceptions.MethodNotAllowed, "method-not-allowed", "Method not allowed"),
    (exceptions.Throttled, "throttled", "Too many requests"),
]


def problem_exception_handler(exc, context):
    """DRF exception handler: every error becomes problem JSON with the correlation id."""
    request = context.get("request")
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            request,
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            "body-too-large",
            "Request body too large",
            "The request body exceeds the configured size limit.",
        )
    if isinstance(exc, Problem):
        return problem_response(
            request, exc.status_code, exc.slug, exc.title, str(exc.detail), exc.errors
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(
            request,
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "validation-error",
            "The request is not valid",
            detail,
            errors,
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    slug, title = "error", "Error"
    for exc_class, exc_slug, exc_title in _BY_EXCEPTION:
        if isinstance(exc, exc_class):
            slug, title = exc_slug, exc_title
            break
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    problem = problem_response(request, response.status_code, slug, title, str(detail))
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def not_found_handler(request, exception):
    """``handler404``: problem JSON under ``/api/`` (unrouted URLs too), Django's page elsewhere."""
    if not is_api_request(request):
        return defaults.page_not_found(request, exception)
    return problem_response(
        request, 404, "not-found", "Not found", f"no API resource at {request.path}"
    )


def server_error_handler(request):
    """``handler500``: problem JSON under ``/api/``, so the caller still gets a correlation id."""
    if not is_api_request(request):
        return defaults.server_error(request)
    return problem_response(
        request,
        500,
        "internal-error",
        "Internal error",
        "the request failed on our side; quote the correlation_id when reporting it",
    )
