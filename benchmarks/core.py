"""Measuring tools: an instrumented fake Telegram, bot subprocesses, /proc readers, stats."""

from __future__ import annotations

import asyncio
import compileall
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.telegram_api import BotMessage, FakeTelegram, _as_int

ROOT = Path(__file__).resolve().parent.parent
RENDERS = ("sendmessage", "editmessagetext")
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Answer:
    time: float  # time.monotonic() when the call reached the fake
    method: str  # lower-case


class BenchFake(FakeTelegram):
    """FakeTelegram that indexes bot answers per chat and wakes only that chat's waiters.

    The stock ``wait_until`` re-evaluates every waiter on every server event, and
    ``chat_messages`` scans the whole log; with 50 concurrent users that would make the
    driver, not the bot, the bottleneck.
    """

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[int, list[Answer]] = defaultdict(list)
        self.by_chat: dict[int, list[BotMessage]] = defaultdict(list)
        self.last_enqueue: dict[int, tuple[float, float]] = {}  # chat -> (monotonic, wall)
        self.first_getupdates: float | None = None
        self._chat_events: dict[int, asyncio.Event] = {}

    # -- hooks -------------------------------------------------------------------------------
    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        chat = (payload.get("chat") or (payload.get("message") or {}).get("chat") or {}).get("id")
        if chat is not None:
            self.last_enqueue[chat] = (time.monotonic(), time.time())
        return super()._enqueue(kind, payload)

    def _new_bot_message(self, chat_id: int, params: dict[str, Any], **fields: Any) -> BotMessage:
        msg = super()._new_bot_message(chat_id, params, **fields)
        self.by_chat[chat_id].append(msg)
        return msg

    def _answered(self, chat: int | None, method: str, started: float) -> None:
        if chat is None:
            return
        self.answers[chat].append(Answer(started, method))
        event = self._chat_events.pop(chat, None)
        if event is not None:
            event.set()

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        result = super()._send_message(params)
        self._answered(_as_int(params.get("chat_id")), "sendmessage", started)
        return result

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        try:
            return super()._edit_message_text(params)
        finally:  # "not modified" is an answer too
            self._answered(_as_int(params.get("chat_id")), "editmessagetext", started)

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        started = time.monotonic()
        result = super()._answer_callback_query(params)
        query = self.callback_queries.get(str(params.get("callback_query_id"))) or {}
        chat = ((query.get("message") or {}).get("chat") or {}).get("id")
        self._answered(chat, "answercallbackquery", started)
        return result

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.first_getupdates is None:
            self.first_getupdates = time.monotonic()
        return await super()._get_updates(params)

    # -- waiting -----------------------------------------------------------------------------
    async def wait_chat(self, chat: int, predicate, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = "\n".join(f"  {m}" for m in self.by_chat[chat][-3:])
                raise TimeoutError(f"chat {chat}: condition not met in {timeout}s; last:\n{tail}")
            event = self._chat_events.setdefault(chat, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), min(remaining, 0.25))
            except TimeoutError:
                pass

    def find(self, chat: int, needle: str, after: int = 0) -> BotMessage | None:
        for msg in reversed(self.by_chat[chat]):
            if msg.message_id <= after:
                break
            if not msg.deleted and needle in (msg.text or ""):
                return msg
        return None

    def latest(self, chat: int) -> BotMessage:
        for msg in reversed(self.by_chat[chat]):
            if not msg.deleted:
                return msg
        raise AssertionError(f"no bot message in chat {chat}")


# ------------------------------------------------------------------ processes


@dataclass
class BotProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    spawned: float = 0.0
    _log: Any = field(default=None, repr=False)

    def spawn(self) -> None:
        compile_sources()
        self._log = open(self.log_path, "ab")
        self.spawned = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def cpu_seconds(self) -> float:
        """user + system CPU seconds of the process (all threads), from /proc/<pid>/stat."""
        raw = Path(f"/proc/{self.pid}/stat").read_text()
        fields_ = raw.rsplit(")", 1)[1].split()
        return (int(fields_[11]) + int(fields_[12])) / CLK_TCK

    def status_kb(self, key: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)


# The bot's own packages, and the echo bots'. The image installs the bot into site-packages,
# which pip compiles to bytecode; a checkout run with PYTHONDONTWRITEBYTECODE=1 (as this
# machine's environment and the Dockerfile set) would compile ~100 modules from source at
# every start, which the echo, a single module on top of pre-compiled libraries, never does.
SOURCES = ("bot", "handlers", "storage", "benchmarks")
_compiled = False


def compile_sources() -> None:
    """Compile :data:`SOURCES` to bytecode once (a no-op for files already compiled), so
    that start-up measures what a deployed bot does, not Python's compiler."""
    global _compiled
    if not _compiled:
        for package in SOURCES:
            compileall.compile_dir(ROOT / package, quiet=1)
        _compiled = True


def python_argv(module: str) -> list[str]:
    """``python -m module``, with only the packages the image has (:mod:`benchmarks.deployed`)."""
    return [sys.executable, "-m", "benchmarks.deployed", module]


# ------------------------------------------------------------------ stats


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no samples."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
