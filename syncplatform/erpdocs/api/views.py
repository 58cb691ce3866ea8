"""``POST /api/v1/erp/<partner code>/idocs``: IDoc-XML pushed by the ERP, stored, then applied."""

import base64
import binascii

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from syncplatform.core.problems import Problem
from syncplatform.partners.choices import PartnerKind

from ..choices import InboundState
from ..conf import max_inbound_idoc_bytes
from ..models import IdocConfig
from ..services import authenticate_erp_push, receive_idoc_file
from ..services.inbound import BodyTooLarge, PushedBody

PROBLEM = OpenApiResponse(description="RFC 9457 problem JSON with correlation_id")
API_KEY_HEADER = "X-API-Key"


class ErpIdocInboundView(APIView):
    """Answers 202 once the body is stored; a batch transaction applies it.

    The body is read here as a stream (not through Django's ``request.body``,
    whose limit is the order API's), up to ``SYNC_MAX_IDOC_BYTES``.
    """

    authentication_classes = []
    parser_classes = []

    @extend_schema(
        request={"application/xml": str},
        responses={
            202: inline_serializer(
                "IdocReceipt",
                {
                    "id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "sha256": serializers.CharField(),
                    "correlation_id": serializers.CharField(),
                    "duplicate_of": serializers.IntegerField(allow_null=True),
                },
            ),
            400: PROBLEM,
            401: PROBLEM,
            404: PROBLEM,
            413: PROBLEM,
        },
        summary="IDoc-XML pushed by the ERP (INVOIC02)",
        description="HTTP basic auth (the ERP partner's IDoc config) or an API key of the "
        "ERP partner (`X-API-Key` or `Authorization: Bearer`). 202 once stored; a repeat of "
        "the same bytes is recorded as a duplicate and not applied again.",
    )
    def post(self, request, partner_code: str):
        config = (
            IdocConfig.objects.select_related("partner")
            .filter(
                partner__code=partner_code,
                partner__kind=PartnerKind.ERP,
                partner__is_active=True,
            )
            .first()
        )
        if config is None:
            raise Problem(404, "not-found", "Not found", f"no ERP {partner_code} takes IDoc pushes")
        _authenticate(request, config)
        body = _read_body(request._request)
        if body.is_blank:
            raise Problem(400, "empty-body", "Empty body", "send the IDoc-XML package as the body")
        file = receive_idoc_file(config, body, request.correlation_id)
        return Response(
            {
                "id": file.pk,
                "status": "duplicate" if file.state == InboundState.DUPLICATE else "received",
                "sha256": file.sha256,
                "correlation_id": request.correlation_id,
                "duplicate_of": file.duplicate_of_id,
            },
            status=202,
        )


def _authenticate(request, config: IdocConfig) -> None:
    api_key = request.headers.get(API_KEY_HEADER, "").strip()
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    basic = None
    if scheme.lower() == "bearer" and not api_key:
        api_key = credentials.strip()
    elif scheme.lower() == "basic":
        basic = _basic_credentials(credentials.strip())
    if not authenticate_erp_push(config, basic=basic, api_key=api_key or None):
        raise Problem(
            401,
            "unauthenticated",
            "Authentication failed",
            f"send {config.partner.code}'s IDoc inbound user and password (basic auth) "
            f"or one of its API keys ({API_KEY_HEADER} or Authorization: Bearer)",
        )


def _basic_credentials(encoded: str) -> tuple[str, str] | None:
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _read_body(request) -> PushedBody:
    """The body, streamed and compressed as it comes, refused with 413 above the limit
    (before reading, when the length is announced)."""
    limit = max_inbound_idoc_bytes()
    too_large = Problem(
        413,
        "body-too-large",
        "Request body too large",
        f"IDoc pushes are limited to {limit} bytes (SYNC_MAX_IDOC_BYTES)",
    )
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > limit:
        raise too_large
    try:
        return PushedBody.read(request.read, limit=limit)
    except BodyTooLarge:
        raise too_large from None
