"""What every collaborator of the service shares, wired once: the store, the client,
the policy and the clock (:class:`Deps`), with reading keys and writing audit rows that
never change a send's fate.

``Deps`` is deliberately mutable: the policy (roles) and the clock are read at the
moment of each action, so a test (or a reload) that replaces them is seen by every
collaborator at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.broadcasts import lifecycle as lc
from bot.broadcasts.lifecycle import Action
from bot.broadcasts.model import Policy, utcnow
from bot.domain import Broadcast, RequestState, content_hash
from bot.ippanel import IPPanelClient
from storage import KeyIntegrityError, Store
from storage.plans import Check

log = logging.getLogger("bot.broadcasts")


@dataclass
class Deps:
    store: Store
    client: IPPanelClient
    policy: Policy
    clock: Callable[[], datetime] = field(default=utcnow)

    async def key(self, user_id: int) -> str | None:
        """The user's key; None when missing or failing its integrity check."""
        try:
            return await self.store.get_api_key(user_id)
        except KeyIntegrityError:
            log.warning("user %s: stored API key failed its integrity check", user_id)
            return None

    def open_key(self, user_id: int, token: str | None) -> str | None:
        """A sealed key read with other rows; None when missing or failing its check."""
        if token is None:
            return None
        try:
            return self.store.open_api_key(user_id, token)
        except KeyIntegrityError:
            log.warning("user %s: stored API key failed its integrity check", user_id)
            return None

    def gate(self, action: Action, requester_id: int, send_at: datetime | None, **kw: Any) -> Check:
        """The store's ``check`` for ``action`` (lifecycle's gate) with the roles as of now."""
        return lc.gate(
            action,
            now=self.clock(),
            approvers=self.policy.approvers,
            requester_admin=self.policy.may_request(requester_id),
            send_at=send_at,
            **kw,
        )

    async def key_or_none(self, user_id: int) -> str | None:
        try:
            return await self.key(user_id)
        except Exception:
            log.exception("user %s: could not read the API key", user_id)
            return None

    async def audit(
        self,
        actor_id: int | None,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Audit every step; a failing audit write must not change a send's fate."""
        try:
            await self.store.audit(actor_id, action, subject, detail)
        except Exception:
            log.exception("audit %s %s failed", action, subject)

    def may_act(self, b: Broadcast, actor_id: int) -> bool:
        """The requester or a current approver may act on a broadcast's card."""
        return actor_id == b.requester_id or actor_id in self.policy.approvers

    async def still_as_approved(self, b: Broadcast) -> bool:
        """The broadcast's snapshot is still exactly what its request approved."""
        if b.request_id is None:
            return True
        request = await self.store.get_request(b.request_id)
        return (
            request is not None
            and request.state == RequestState.APPROVED
            and content_hash(b.snapshot) == request.content_hash
        )

    async def get_broadcast_or(self, b: Broadcast) -> Broadcast:
        """The row as stored now; the given copy when the store cannot be read."""
        try:
            return await self.store.get_broadcast(b.id) or b
        except Exception:
            log.exception("broadcast %s: could not re-read", b.id)
            return b
