"""One fake user driving the bot: ``act`` sends one update and waits for the step to finish,
recording how long the first answer and the first render took."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from benchmarks.core import RENDERS, BenchFake
from tests.fakes.telegram_api import FakeUser


class Driver:
    """One fake user; ``act`` sends one update and waits for the step to finish."""

    def __init__(self, fake: BenchFake, user: FakeUser, pace: float = 0.0, timeout: float = 60):
        self.fake = fake
        self.user = user
        self.chat = user.user_id
        self.pace = pace
        self.timeout = timeout
        self.updates = 0
        self._next_at = 0.0

    def renders_since(self, n0: int) -> int:
        return sum(1 for a in self.fake.answers[self.chat][n0:] if a.method in RENDERS)

    async def act(
        self,
        action: Callable[[], Awaitable[object]],
        done: Callable[[int], bool],
        samples: list[tuple[float, float]] | None = None,
    ) -> None:
        """``done(n0)`` gets the answer index before the action (see ``renders_since``)."""
        if self.pace:
            delay = self._next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        answers = self.fake.answers[self.chat]
        n0 = len(answers)
        await action()
        self.updates += 1
        t_enq = self.fake.last_enqueue[self.chat][0]
        self._next_at = t_enq + self.pace
        await self.fake.wait_chat(self.chat, lambda: done(n0), self.timeout)
        if samples is not None:
            new = [a for a in answers[n0:] if a.time >= t_enq]
            first = new[0].time - t_enq
            render = next((a.time for a in new if a.method in RENDERS), new[-1].time) - t_enq
            samples.append((first, render))

    def rendered(self, needle: str | None = None, after: int = 0) -> Callable[[int], bool]:
        def done(n0: int) -> bool:
            if self.renders_since(n0) < 1:
                return False
            return needle is None or self.fake.find(self.chat, needle, after) is not None

        return done

    def mark(self) -> int:
        msgs = self.fake.by_chat[self.chat]
        return msgs[-1].message_id if msgs else 0
