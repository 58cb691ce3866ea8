"""``GET /api/v1/availability``: channels that ask for their stock instead of being sent it."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from syncplatform.core.problems import Problem, flatten_errors, problem_responses
from syncplatform.partners.api.authentication import ApiKeyAuthentication

from ..services import UnknownLocation, UnknownSku, availability_of
from .serializers import AvailabilityQuerySerializer, AvailabilitySerializer


class AvailabilityView(APIView):
    authentication_classes = [ApiKeyAuthentication]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "sku",
                {"type": "string", "minLength": 1, "maxLength": 80},
                OpenApiParameter.QUERY,
                required=True,
                description="Your channel SKU",
            ),
            OpenApiParameter(
                "location",
                {"type": "string", "minLength": 1, "maxLength": 40},
                OpenApiParameter.QUERY,
                description="One of your locations; every location when absent",
            ),
        ],
        responses={200: AvailabilitySerializer} | problem_responses(400, 401, 404),
        summary="Available-to-sell of a SKU per location",
        description="Whole units the channel may sell: the warehouse's latest 846 stock less "
        "open orders not yet shipped, shipments since that report and the location's safety "
        "stock; never negative. A known SKU with no stock reported yet answers an empty list "
        "and 0. 404 for a SKU (or location) the channel has no mapping for.",
    )
    def get(self, request):
        query = AvailabilityQuerySerializer(data=request.query_params)
        if not query.is_valid():
            errors = flatten_errors(query.errors)
            raise Problem(
                400,
                "invalid-query",
                "Invalid query",
                "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                errors,
            )
        sku, location = query.validated_data["sku"], query.validated_data.get("location")
        try:
            rows = availability_of(request.auth.partner, sku, location)
        except UnknownSku:
            raise Problem(
                404, "unknown-sku", "Unknown SKU", f"no SKU {sku!r} for this channel"
            ) from None
        except UnknownLocation:
            raise Problem(
                404,
                "unknown-location",
                "Unknown location",
                f"no location {location!r} for this channel",
            ) from None
        body = {"sku": sku, "available": sum(r.available for r in rows), "locations": rows}
        return Response(AvailabilitySerializer(body).data)
