"""The :class:`Store` facade: every record kind in one SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType

from cryptography.fernet import MultiFernet

from .api_keys import ApiKeyStore
from .approvals import ApprovalStore
from .approve_send import ApproveSendStore
from .audit import AuditStore
from .broadcasts import BroadcastStore
from .credit_watch import CreditWatchStore
from .db import Database, utcnow
from .drafts import DraftStore
from .follow_ups import FollowUpStore
from .guardrails import GuardrailStore
from .history import HistoryStore
from .keys import KeyCipher
from .kv import KeyValueStore
from .maintenance import MaintenanceStore
from .plans import PlanStore
from .profiles import ProfileStore
from .recent import Recent
from .saved_texts import SavedTextStore
from .trial_sends import TrialSendStore

# Drafts, profiles and whether a user has a key, remembered (storage.recent): a team's
# admins at work fit many times over.
REMEMBERED_DRAFTS = 512


class Store(
    ProfileStore,
    ApiKeyStore,
    DraftStore,
    ApprovalStore,
    BroadcastStore,
    HistoryStore,  # /history: a page and what it shows, in one trip
    ApproveSendStore,  # the approve press: approval and its send's row in one transaction
    PlanStore,  # a gradual plan's state, with its batches
    AuditStore,
    KeyValueStore,
    SavedTextStore,  # team rules
    CreditWatchStore,  # team rules
    TrialSendStore,  # test SMS to one's own phone
    GuardrailStore,  # campaign guardrails (#22): repeats, the month's spend
    FollowUpStore,  # campaign guardrails (#22): the follow-up after a send
    MaintenanceStore,  # pruning, incremental vacuum, WAL checkpoints
):
    """Async access to the bot's SQLite database.

    ``open()`` and ``close()`` are idempotent; ``async with Store(...) as store`` does both.
    All methods need an open store and raise :class:`~storage.errors.StoreError` otherwise.
    """

    def __init__(
        self,
        path: Path,
        fernet: MultiFernet,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``clock`` (timezone-aware, default: now in UTC) stamps created/updated times."""
        self._db = Database(Path(path))
        self._cipher = KeyCipher(fernet)
        self._clock = clock
        # hot reads answered from memory; sound while this process is the only writer
        self._draft_rows = Recent(REMEMBERED_DRAFTS)
        self._has_key = Recent(REMEMBERED_DRAFTS)
        self._profile_rows = Recent(REMEMBERED_DRAFTS)
        self._saved_text_count = None

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def is_open(self) -> bool:
        return self._db.is_open

    async def open(self) -> None:
        """Create the file if needed, set the pragmas and run pending migrations."""
        self._forget_all()
        await self._db.open()

    async def ensure_open(self) -> None:
        if not self._db.is_open:
            await self._db.open()

    async def close(self) -> None:
        """Checkpoint the WAL into the database file and close the connection."""
        await self._db.close()
        self._forget_all()  # another process may write the file before it is opened again

    def _forget_all(self) -> None:
        self._draft_rows.clear()
        self._has_key.clear()
        self._profile_rows.clear()
        self._saved_text_count = None

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
