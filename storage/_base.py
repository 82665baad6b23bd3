"""What every record-kind mixin of :class:`storage.store.Store` relies on."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .db import Database, to_db_time
from .keys import KeyCipher
from .recent import Recent


class StoreBase:
    _db: Database
    _cipher: KeyCipher
    _clock: Callable[[], datetime]
    # rows remembered between reads (see :mod:`storage.recent`)
    _draft_rows: Recent[int, sqlite3.Row]  # draft id -> its row
    _has_key: Recent[int, bool]  # user id -> whether a key row is stored (never the key)
    _profile_rows: Recent[int, sqlite3.Row | None]  # user id -> their row (None: no row)
    _saved_text_count: int | None  # the team's saved texts (None: not read yet)

    def _now(self) -> datetime:
        return self._clock()

    def _stamp(self) -> str:
        """The current time as stored: ISO-8601 UTC text."""
        return to_db_time(self._clock())


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def load_json(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)
