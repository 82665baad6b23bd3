"""SQLite storage for the bot: the :class:`Store` facade and PTB persistence."""

from .audit import AuditEntry
from .errors import KeyIntegrityError, StaleDraftError, StoreError
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .persistence import SQLitePersistence
from .store import Store

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AuditEntry",
    "KeyIntegrityError",
    "SQLitePersistence",
    "StaleDraftError",
    "Store",
    "StoreError",
]
