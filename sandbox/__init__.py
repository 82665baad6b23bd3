"""A local fake IPPanel Edge panel for tests and demos (see ``sandbox.app``)."""

from .app import (
    DEFAULT_KEY,
    FAULT_MODES,
    SHORT_KEY,
    RunningSandbox,
    SandboxSend,
    SandboxState,
    create_app,
    start_sandbox,
)

__all__ = [
    "DEFAULT_KEY",
    "FAULT_MODES",
    "SHORT_KEY",
    "RunningSandbox",
    "SandboxSend",
    "SandboxState",
    "create_app",
    "start_sandbox",
]
