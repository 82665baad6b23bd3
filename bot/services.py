"""The services every handler needs, and the application type that carries them.

Handlers import this module, the wiring (:mod:`bot.app`) builds it: imports run one way.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import Application

from bot.broadcasts import BroadcastService
from bot.config import Settings
from bot.ippanel import IPPanelClient
from storage import Store


@dataclass(frozen=True)
class Services:
    """Built with the application, opened in post_init, closed in post_shutdown."""

    settings: Settings
    store: Store
    client: IPPanelClient
    broadcasts: BroadcastService


class BroadcastApplication(Application):  # type: ignore[type-arg]  # PTB's six type parameters are fixed by its defaults
    """PTB's Application with a typed slot for our services."""

    services: Services


def services_of(app: Application) -> Services:  # type: ignore[type-arg]  # any Application
    """The services of an application :func:`bot.app.build_application` made."""
    if not isinstance(app, BroadcastApplication):
        raise TypeError("not an application built by bot.app.build_application")
    return app.services
