"""What every stage of the service shares: the store, the client, the policy, the
clock, and reading keys and writing audit rows that never change a send's fate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.broadcasts.model import Policy, utcnow
from bot.ippanel import IPPanelClient
from storage import KeyIntegrityError, Store

log = logging.getLogger("bot.broadcasts")


class ServiceBase:
    def __init__(
        self,
        store: Store,
        client: IPPanelClient,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._client = client
        self.policy = policy
        self._clock = clock
        # broadcasts whose credit question is answered (final report state, or told)
        self._credit_settled: set[int] = set()

    async def _key(self, user_id: int) -> str | None:
        """The user's key; None when missing or failing its integrity check."""
        try:
            return await self._store.get_api_key(user_id)
        except KeyIntegrityError:
            log.warning("user %s: stored API key failed its integrity check", user_id)
            return None

    async def _key_or_none(self, user_id: int) -> str | None:
        try:
            return await self._key(user_id)
        except Exception:
            log.exception("user %s: could not read the API key", user_id)
            return None

    async def _audit(
        self,
        actor_id: int | None,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Audit every step; a failing audit write must not change a send's fate."""
        try:
            await self._store.audit(actor_id, action, subject, detail)
        except Exception:
            log.exception("audit %s %s failed", action, subject)
