"""Encryption of IPPanel API keys at rest.

The plaintext sealed in each Fernet token is ``{"owner": user_id, "key": api_key}``. The
owner is checked on decryption, so a token copied into another user's row is refused.
Only a masked hint ("••••" + last 4 characters) is ever kept in clear.
"""

from __future__ import annotations

import json

from cryptography.fernet import InvalidToken, MultiFernet

from .errors import KeyIntegrityError

MASK = "••••"


def mask_key(api_key: str) -> str:
    """The hint shown to people: never enough of the key to matter."""
    if len(api_key) < 8:  # too short to reveal four characters of it
        return MASK
    return MASK + api_key[-4:]


class KeyCipher:
    def __init__(self, fernet: MultiFernet) -> None:
        self._fernet = fernet

    def encrypt(self, owner: int, api_key: str) -> str:
        payload = json.dumps({"owner": int(owner), "key": api_key}, separators=(",", ":"))
        return self._fernet.encrypt(payload.encode("utf-8")).decode("ascii")

    def decrypt(self, owner: int, token: str | bytes) -> str:
        raw = token.encode("ascii") if isinstance(token, str) else token
        try:
            payload = json.loads(self._fernet.decrypt(raw).decode("utf-8"))
        except (InvalidToken, UnicodeDecodeError, ValueError):
            raise KeyIntegrityError(
                f"the stored API key of user {owner} cannot be decrypted"
            ) from None
        if (
            not isinstance(payload, dict)
            or type(payload.get("owner")) is not int
            or payload["owner"] != owner
            or not isinstance(payload.get("key"), str)
        ):
            raise KeyIntegrityError(f"the stored API key of user {owner} belongs to someone else")
        return payload["key"]

    def rotate(self, token: str) -> str:
        """Re-encrypt under the primary key. Raises InvalidToken if no key can open it."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")
