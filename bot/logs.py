"""Logging: one line per event, with every secret the process knows masked.

The bot token appears in every Bot API URL that PTB and httpx log, and admins
paste IPPanel keys into the chat, which PTB prints at DEBUG in getUpdates
results. So: third-party loggers are held at INFO or above, and every
formatted line (tracebacks included) passes through ``redact``.
"""

from __future__ import annotations

import logging
import re
import sys
import threading

_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_MASK = "[REDACTED]"


class SecretRegistry:
    """Secrets to mask in logs: the bot token and every API key seen this run."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 6:
            with self._lock:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        return _TOKEN_RE.sub(_MASK, text)


SECRETS = SecretRegistry()


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # one line per event: tracebacks keep their lines but are indented under it
        return SECRETS.redact(line).replace("\n", "\n    ")


QUIET_LIBRARIES = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "aiohttp")


def setup_logging(level: str = "INFO", stream=None) -> logging.Handler:
    """Configure the root logger once; returns the handler (tests attach their own too)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    floor = max(logging.getLevelName(level), logging.INFO)
    for name in QUIET_LIBRARIES:
        # httpx logs every URL at INFO, and the token is in the URL
        lib_level = logging.WARNING if name in ("httpx", "httpcore") else floor
        logging.getLogger(name).setLevel(lib_level)
    return handler
