from rest_framework import serializers


class AvailabilityQuerySerializer(serializers.Serializer):
    """The query string: one channel SKU, optionally one of the channel's locations."""

    sku = serializers.CharField(min_length=1, max_length=80)
    location = serializers.CharField(min_length=1, max_length=40, required=False)

    def validate_sku(self, value: str) -> str:
        return _printable(value)

    def validate_location(self, value: str) -> str:
        return _printable(value)


def _printable(value: str) -> str:
    if not value.isprintable():
        raise serializers.ValidationError("must be printable characters")
    return value


class LocationAvailabilitySerializer(serializers.Serializer):
    location = serializers.CharField(source="channel_location")
    available = serializers.IntegerField(min_value=0, help_text="Whole units you may sell now")
    updated_at = serializers.DateTimeField(
        source="computed_at", help_text="When this figure was last computed"
    )


class AvailabilitySerializer(serializers.Serializer):
    sku = serializers.CharField()
    available = serializers.IntegerField(min_value=0, help_text="Sum over the locations listed")
    locations = LocationAvailabilitySerializer(many=True)
