"""Shopify webhook HMAC: base64 HMAC-SHA256 of the raw body with the app secret."""

import base64
import hashlib
import hmac

import pytest

from connectors.channels.shopify import verify_webhook_signature
from connectors.errors import ConfigError

SECRET = "shpss_test_secret"
BODY = b'{"id":820982911946154508,"email":"jon@example.com"}'
# Computed outside Python with:
#   printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
OPENSSL_SIGNATURE = "LnwdZPLBbdjkBwPD/lDL1/rYEGby/GHPtL1aAH6Dxjc="


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_given_signature_made_by_openssl_when_verified_then_accepted():
    assert verify_webhook_signature(BODY, OPENSSL_SIGNATURE, SECRET) is True


def test_given_header_with_surrounding_whitespace_when_verified_then_accepted():
    assert verify_webhook_signature(BODY, f" {OPENSSL_SIGNATURE}\r\n", SECRET) is True


def test_given_body_signed_with_another_secret_when_verified_then_refused():
    header = sign(BODY, "someone-elses-secret")

    assert verify_webhook_signature(BODY, header, SECRET) is False


def test_given_body_changed_after_signing_when_verified_then_refused():
    header = sign(BODY, SECRET)
    tampered = BODY.replace(b"jon@example.com", b"eve@example.com")

    assert verify_webhook_signature(BODY, header, SECRET) is True
    assert verify_webhook_signature(tampered, header, SECRET) is False


def test_given_body_re_serialised_after_signing_when_verified_then_refused():
    # Whitespace matters: the signature covers the raw bytes, not the JSON value.
    assert verify_webhook_signature(BODY + b"\n", OPENSSL_SIGNATURE, SECRET) is False


@pytest.mark.parametrize("header", [None, "", "   "])
def test_given_missing_header_when_verified_then_refused(header):
    assert verify_webhook_signature(BODY, header, SECRET) is False


@pytest.mark.parametrize(
    "header",
    [
        "not base64 at all!",
        "LnwdZPLBbdjkBwPD/lDL1/rYEGby/GHPtL1aAH6Dxjc",  # padding removed
        "Lnwd\u00e9PLBbdjkBwPD/lDL1/rYEGby/GHPtL1aAH6Dxjc=",  # non-ASCII
        OPENSSL_SIGNATURE[:20],  # truncated
        base64.b64encode(b"short").decode(),  # valid base64, wrong length
        hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # hex, not base64
    ],
)
def test_given_garbled_header_when_verified_then_refused_without_exception(header):
    assert verify_webhook_signature(BODY, header, SECRET) is False


def test_given_no_secret_configured_when_verified_then_config_error():
    with pytest.raises(ConfigError):
        verify_webhook_signature(BODY, OPENSSL_SIGNATURE, "")
