"""The fake's own clock: message dates, the 48-hour delete window and the callback answer
timeout use it; tests move it forward."""

from __future__ import annotations

import time


class ClockMixin:
    """FakeTelegram's clock (``clock_offset`` set in ``FakeTelegram.__init__``)."""

    clock_offset: float

    def now(self) -> float:
        """The fake's idea of the current Unix time (wall clock + :attr:`clock_offset`)."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward: messages get older, pending presses go stale."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.clock_offset += seconds
