"""The Fernet keys that encrypt IPPanel API keys at rest.

SECRET_KEY may hold several comma-separated keys: the first encrypts, all
decrypt (MultiFernet), so a new key can be put first; at start-up every stored
API key is then re-encrypted with it (see bot/app.py), after which the old keys
can be dropped. Without SECRET_KEY a key is generated into DATA_DIR once
(mode 0600) and reused.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.config import ConfigError, Settings


def _parse_keys(raw: str, source: str) -> MultiFernet:
    try:
        keys = [Fernet(k.strip().encode()) for k in raw.split(",") if k.strip()]
    except (ValueError, InvalidToken):
        raise ConfigError(f"{source} is invalid: expected Fernet keys") from None
    if not keys:
        raise ConfigError(f"{source} is invalid: expected at least one Fernet key")
    return MultiFernet(keys)


def key_count(settings: Settings) -> int:
    """How many keys SECRET_KEY lists (the generated key file holds one)."""
    if settings.secret_key is None:
        return 1
    return len([k for k in settings.secret_key.get_secret_value().split(",") if k.strip()])


def create_key_file(path: Path) -> str:
    """Write a new Fernet key readable only by this user; refuse to overwrite."""
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def load_fernet(settings: Settings) -> MultiFernet:
    if settings.secret_key is not None:
        return _parse_keys(settings.secret_key.get_secret_value(), "SECRET_KEY")
    path = settings.key_file
    if not path.exists():
        try:
            create_key_file(path)
        except FileExistsError:
            pass  # another process made it first; read theirs
        except OSError as exc:
            raise ConfigError(
                f"DATA_DIR is invalid: cannot write {path} ({exc.strerror})"
            ) from None
    try:
        raw = path.read_text()
    except OSError as exc:
        raise ConfigError(f"DATA_DIR is invalid: cannot read {path} ({exc.strerror})") from None
    return _parse_keys(raw, f"key file {path}")
