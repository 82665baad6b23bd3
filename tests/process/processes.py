"""``python -m bot`` as a subprocess, read as an operator reads it (output, exit status);
shared by the start-up and container tests."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

FAST_RETRY = {"BOT_STARTUP_RETRY_FIRST_SECONDS": "0.2", "BOT_STARTUP_RETRY_MAX_SECONDS": "0.4"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Bot:
    proc: asyncio.subprocess.Process
    log_path: Path

    @property
    def output(self) -> str:
        return self.log_path.read_text()

    def lines(self, needle: str) -> list[str]:
        return [line for line in self.output.splitlines() if needle in line]

    async def wait_for(self, needle: str, count: int = 1, timeout: float = 20) -> list[str]:  # noqa: ASYNC109
        for _ in range(int(timeout / 0.05)):
            if len(self.lines(needle)) >= count:
                return self.lines(needle)
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count}× {needle!r} not in the output:\n{self.output}")

    async def exit_code(self, timeout: float = 20) -> int:  # noqa: ASYNC109
        return await asyncio.wait_for(self.proc.wait(), timeout)


@asynccontextmanager
async def bot_process(env: dict[str, str], cwd: Path, name: str = "bot") -> AsyncIterator[Bot]:
    log_path = cwd / f"{name}.log"
    with log_path.open("w") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=cwd, stdout=log, stderr=log
        )
        try:
            yield Bot(proc, log_path)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
