"""REST intake: thin views that authenticate, validate, call one service and answer.

The HTTP side of the order use cases lives here: the service says what it did
(a new order, a replay, an order known by its number) or raises a domain error,
and these views choose the status code, the headers and the problem JSON.
"""

from django.core.exceptions import RequestDataTooBig
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.channels.shopify import verify_webhook_signature
from syncplatform.core.json_bodies import (
    JsonBodyRefused,
    json_body_problem,
    load_json_body,
)
from syncplatform.core.problems import Problem, problem_responses
from syncplatform.orders.choices import OrderStatus
from syncplatform.orders.models import Order
from syncplatform.orders.services import (
    IdempotencyKeyReused,
    IntakeOutcome,
    IntakeRequest,
    IntakeResult,
    ReceiptResult,
    WebhookDelivery,
    WebhookIdReused,
    accept_order,
    receive_channel_order,
)
from syncplatform.partners.api.authentication import ApiKeyAuthentication
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import ChannelConfig

from .serializers import CanonicalOrderSerializer, IntakeResponseSerializer, OrderStatusSerializer

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=True,
    description="1-255 printable characters; a repeat with the same body replays the answer",
)
INTAKE_HEADERS = [
    OpenApiParameter(
        "Location", str, OpenApiParameter.HEADER, response=[200, 202], description="status_url"
    ),
    OpenApiParameter(
        "Idempotent-Replayed",
        {"type": "string", "enum": ["true"]},
        OpenApiParameter.HEADER,
        response=[202],
        description="present when this is the stored answer to an earlier request",
    ),
]
INTAKE_ANSWERS = {202: IntakeResponseSerializer, 200: IntakeResponseSerializer}


def read_body(request) -> bytes:
    """The raw body, refused with 413 above ``SYNC_MAX_REQUEST_BYTES``."""
    try:
        return request._request.body
    except RequestDataTooBig:
        raise Problem(
            413,
            "body-too-large",
            "Request body too large",
            "the request body exceeds the configured size limit",
        ) from None


def require_idempotency_key(value: str | None) -> str:
    if not value or len(value) > 255 or not value.isprintable():
        raise Problem(
            400,
            "idempotency-key-required",
            "Idempotency-Key required",
            "send an Idempotency-Key header of 1-255 printable characters",
            [{"field": "Idempotency-Key", "message": "missing or invalid"}],
        )
    return value


def validate_canonical(data) -> dict:
    serializer = CanonicalOrderSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def intake_body(order: Order, status: str) -> dict:
    return {
        "id": order.pk,
        "status": status,
        "correlation_id": order.correlation_id,
        "status_url": reverse("order-detail", args=[order.pk]),
    }


def accept(intake: IntakeRequest, canonical: dict) -> Response:
    """Call ``accept_order`` and answer as the README's order API table says."""
    try:
        result = accept_order(intake, canonical)
    except IdempotencyKeyReused:
        raise idempotency_key_reused() from None
    return intake_response(result)


def idempotency_key_reused() -> Problem:
    return Problem(
        422,
        "idempotency-key-reused",
        "Idempotency-Key reused",
        "this Idempotency-Key was used for a different request body",
        [{"field": "Idempotency-Key", "message": "already used with a different body"}],
    )


def intake_response(result: IntakeResult) -> Response:
    if result.outcome is IntakeOutcome.EXISTING_BY_NUMBER:
        response = Response(intake_body(result.order, result.order.public_status), status=200)
    else:
        # The 202 that accepted the order, rebuilt from the stored row (it was
        # ``received`` then), so a replay answers exactly what the first request got.
        response = Response(intake_body(result.order, OrderStatus.RECEIVED), status=202)
    response["Location"] = response.data["status_url"]
    if result.outcome is IntakeOutcome.REPLAY:
        response["Idempotent-Replayed"] = "true"
    return response


class OrderIntakeView(APIView):
    authentication_classes = [ApiKeyAuthentication]

    @extend_schema(
        request=CanonicalOrderSerializer,
        parameters=[IDEMPOTENCY_KEY, *INTAKE_HEADERS],
        responses=INTAKE_ANSWERS | problem_responses(400, 401, 411, 413, 415, 422),
        summary="Accept a canonical order",
        description="202 for a new order; a repeat of the same key and body replays the "
        "first response; the same channel order number under a new key answers "
        "200 with the existing order. 400: malformed JSON, a repeated key in an object, "
        "nesting deeper than SYNC_MAX_JSON_DEPTH, or no Idempotency-Key.",
    )
    def post(self, request):
        key = require_idempotency_key(request.headers.get("Idempotency-Key"))
        body = read_body(request)
        canonical = validate_canonical(request.data)
        return accept(
            IntakeRequest(
                channel=request.auth.partner,
                idempotency_scope=f"apiclient:{request.auth.pk}",
                idempotency_key=key,
                body=body,
                correlation_id=request.correlation_id,
            ),
            canonical,
        )


class OrderStatusView(APIView):
    authentication_classes = [ApiKeyAuthentication]

    @extend_schema(
        parameters=[
            OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)
        ],
        responses={200: OrderStatusSerializer} | problem_responses(401, 404),
        summary="An order's status, ERP document number, lines and last events",
    )
    def get(self, request, pk: int):
        order = (
            Order.objects.prefetch_related("lines")
            .filter(pk=pk, channel=request.auth.partner)
            .first()
        )
        if order is None:
            raise Problem(404, "not-found", "Not found", f"no order {pk} for this channel")
        return Response(OrderStatusSerializer(order).data)


class HeldReceiptSerializer(serializers.Serializer):
    """A signed webhook kept verbatim that is not an order yet (see ``detail``)."""

    receipt_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[("held", "held")])
    correlation_id = serializers.CharField()
    detail = serializers.CharField()


WEBHOOK_ANSWER = PolymorphicProxySerializer(
    component_name="WebhookAnswer",
    serializers=[IntakeResponseSerializer, HeldReceiptSerializer],
    resource_type_field_name=None,
)


def webhook_response(result: ReceiptResult) -> Response:
    """An order's answer as the REST intake gives it; a held receipt's naming its transaction.

    Both are rebuilt from the stored rows, so a redelivery gets the first answer again.
    """
    if result.intake is not None:
        return intake_response(result.intake)
    receipt = result.receipt
    body = {
        "receipt_id": receipt.pk,
        "status": "held",
        "correlation_id": receipt.correlation_id,
        "detail": f"kept as receipt {receipt.pk}; not an order yet: transaction "
        f"{result.intake_transaction_id} names what is missing",
    }
    response = Response(body, status=200 if result.is_duplicate else 202)
    if result.is_replay and not result.is_duplicate:
        response["Idempotent-Replayed"] = "true"
    return response


class ShopifyOrderWebhookView(APIView):
    """Shopify ``orders/create`` webhooks: every signed JSON body is kept and answered 2xx.

    The body becomes an order at once when it is a complete one with the
    channel's defaults; otherwise it is held as a receipt with a failed
    ``channel.order.intake`` transaction that names every gap (services).
    """

    authentication_classes = []

    @extend_schema(
        request={"application/json": {"type": "object"}},
        parameters=[
            OpenApiParameter(
                "channel_code",
                {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
                OpenApiParameter.PATH,
                description="the channel partner's code",
            ),
            OpenApiParameter(
                "X-Shopify-Hmac-Sha256",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="base64 HMAC-SHA256 of the raw body with the channel's secret",
            ),
            OpenApiParameter(
                "X-Shopify-Webhook-Id",
                {"type": "string", "minLength": 1, "maxLength": 255},
                OpenApiParameter.HEADER,
                required=True,
                description="the idempotency key: a redelivery is a replay",
            ),
            OpenApiParameter(
                "X-Shopify-API-Version",
                str,
                OpenApiParameter.HEADER,
                description="kept with the body",
            ),
            *INTAKE_HEADERS,
        ],
        responses={202: WEBHOOK_ANSWER, 200: WEBHOOK_ANSWER}
        | problem_responses(400, 401, 404, 411, 413, 422),
        summary="Shopify orders/create webhook",
        description="Every signed JSON body is stored verbatim and answered 2xx: 202 with the "
        "order (as POST /orders answers) or, when it is not a complete order yet, with status "
        "held and the transaction that names what is missing; 200 for a Shopify order already "
        "known under another webhook id; a redelivery replays the first answer. 400 only for "
        "a body that is not JSON within the limits or no webhook id, 422 only for a webhook "
        "id already delivered with another body.",
    )
    def post(self, request, channel_code: str):
        body = read_body(request)
        config = (
            ChannelConfig.objects.select_related("partner")
            .filter(
                partner__code=channel_code,
                partner__kind=PartnerKind.CHANNEL,
                partner__is_active=True,
            )
            .first()
        )
        signature = request.headers.get("X-Shopify-Hmac-Sha256")
        if (
            config is None
            or not config.webhook_secret
            or not verify_webhook_signature(body, signature, config.webhook_secret)
        ):
            raise Problem(
                401,
                "invalid-signature",
                "Invalid webhook signature",
                "X-Shopify-Hmac-Sha256 does not match the body for this channel",
            )
        webhook_id = require_webhook_id(request.headers.get("X-Shopify-Webhook-Id"))
        try:
            payload = load_json_body(body)
        except JsonBodyRefused as refusal:
            raise json_body_problem(refusal) from None
        delivery = WebhookDelivery(
            channel=config.partner,
            webhook_id=webhook_id,
            body=body,
            payload=payload,
            correlation_id=request.correlation_id,
            api_version=request.headers.get("X-Shopify-API-Version", ""),
        )
        try:
            result = receive_channel_order(delivery)
        except (WebhookIdReused, IdempotencyKeyReused):
            raise idempotency_key_reused() from None
        return webhook_response(result)


def require_webhook_id(value: str | None) -> str:
    if not value or len(value) > 255:
        raise Problem(
            400,
            "webhook-id-required",
            "X-Shopify-Webhook-Id required",
            "Shopify webhooks carry X-Shopify-Webhook-Id; it is the idempotency key",
            [{"field": "X-Shopify-Webhook-Id", "message": "missing or invalid"}],
        )
    return value
