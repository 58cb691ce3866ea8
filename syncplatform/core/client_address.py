"""The address a request came from, for login throttling (django-axes).

Behind the TLS proxy (``SYNC_BEHIND_TLS_PROXY``) every connection comes from
the proxy, so the client is the address the proxy appended last to
``X-Forwarded-For``; anything to its left was written by the client and is not
trusted. Without a proxy it is the connection's own address.
"""

from django.conf import settings


def client_address(request) -> str:
    if settings.SYNC_BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")
