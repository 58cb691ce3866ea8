"""A text field encrypted at rest with Fernet keys from the environment."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"SYNC_ENCRYPTION_KEYS holds an invalid Fernet key: {exc}"
        ) from None


def encrypt(clear: str) -> str:
    return _fernet(tuple(settings.SYNC_ENCRYPTION_KEYS)).encrypt(clear.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(settings.SYNC_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "a stored secret cannot be decrypted with SYNC_ENCRYPTION_KEYS "
            "(was the key changed without keeping the old one?)"
        ) from None


class EncryptedTextField(models.TextField):
    """Stores ``Fernet(token)`` in the column; Python code sees the clear text.

    Empty strings stay empty (nothing to hide, and forms can tell "not set").
    Rotation: put a new key first in ``SYNC_ENCRYPTION_KEYS``; old rows still
    decrypt and are re-encrypted with the new key on their next save.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
