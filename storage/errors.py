"""Errors raised by the store. Messages never carry API keys or ciphertext."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for every error the storage layer raises on purpose."""


class StaleDraftError(StoreError):
    """A draft was saved by someone else first (version moved), or it is gone."""


class KeyIntegrityError(StoreError):
    """A stored API key cannot be decrypted, or it belongs to another user."""
