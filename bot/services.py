"""The services every handler needs, and the application type that carries them.

Handlers import this module, the wiring (:mod:`bot.app`) builds it: imports run one way.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, Job

from bot.broadcasts import BroadcastService
from bot.config import Settings
from bot.ippanel import IPPanelClient
from storage import Store
from storage.persistence import SQLitePersistence


@dataclass(frozen=True)
class Services:
    """Built with the application, opened in post_init, closed in post_shutdown."""

    settings: Settings
    store: Store
    client: IPPanelClient
    broadcasts: BroadcastService


class BroadcastApplication(Application):
    """PTB's Application with a typed slot for our services."""

    services: Services

    async def update_persistence(self) -> None:
        """PTB's run, with every row it changes written by one statement at its end."""
        persistence = self.persistence
        if not isinstance(persistence, SQLitePersistence):
            await super().update_persistence()
            return
        async with persistence.one_write():
            await super().update_persistence()

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Job | None = None
    ) -> None:
        # With concurrent updates PTB runs each update as a task and marks its user and chat
        # for persistence when the task ends, even when the update processor dropped it
        # unseen; update_persistence would then create user_data/chat_data entries for every
        # stranger and group. Only a known user's private chat has state to keep.
        if isinstance(update, Update) and not self._has_state(update):
            update = None
        super()._mark_for_persistence_update(update=update, job=job)

    def _has_state(self, update: Update) -> bool:
        user, chat = update.effective_user, update.effective_chat
        return (
            user is not None
            and chat is not None
            and chat.type == ChatType.PRIVATE
            and user.id in self.services.settings.known_users
        )


def services_of(app: Application) -> Services:
    """The services of an application :func:`bot.app.build_application` made."""
    if not isinstance(app, BroadcastApplication):
        raise TypeError("not an application built by bot.app.build_application")
    return app.services
