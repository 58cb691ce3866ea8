"""``Authorization: Bearer <api key>`` for channel systems."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from syncplatform.partners.services import authenticate_api_key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a channel's API client; ``request.auth`` is the ``ApiClient``."""

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise exceptions.NotAuthenticated(
                "send the channel's API key as 'Authorization: Bearer <key>'"
            )
        client = authenticate_api_key(key.strip())
        if client is None:
            raise exceptions.AuthenticationFailed("the API key is unknown or revoked")
        return (None, client)

    def authenticate_header(self, request):
        return 'Bearer realm="syncplatform"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Channel API key"}
