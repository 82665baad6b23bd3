"""``python -m benchmarks.year [--scale S]`` (``make bench-year``): a year of use.

Two stores with the same admins, keys and secret: one empty, one filled as a busy team
would fill it in a year (benchmarks/year_fill.py, through the store's own API). Then:

* every periodic job's store calls, in this process, on each store (median of many runs);
* the real bot (``python -m bot``) on each store, both running side by side against their
  own fake Bot API and the same sandbox panel, samples alternating between them so that a
  busy machine slows both alike: start-up to the first getUpdates, ``/history`` first
  page and a deep page, an approval end to end (approve press to the POST at the panel);
* the database file's size, empty and filled, and the size per broadcast.

Targets (#23): each latency and each job within 1.2x of the empty store, start-up within
+10 %, and the file's size per broadcast documented (README) and within its bound. The
last 90 days alone are shown beside (info): every window the bot reads holds the same rows
there as in the year, so year / 90 days is what the history alone costs. Exit status 1 on
a MISS. The fill takes about 2 minutes at ``--scale 1`` on the 2-core development machine;
``--scale 0.1`` keeps every ratio of the year (a tenth of each count).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from benchmarks.core import BenchFake, BotProcess, python_argv
from benchmarks.driver import Driver
from benchmarks.model import Config, Results
from benchmarks.phases import send_path_phase
from benchmarks.steps import bot_env
from benchmarks.year_fill import ADMINS, Clock, Filled, admins, fill, now_utc
from handlers import callbacks as cb
from sandbox import RunningSandbox, SandboxState, start_sandbox
from storage import Store

LATENCY_RATIO = 1.2
STARTUP_RATIO = 1.1
KIB_PER_BROADCAST = 16.0  # README: ~12 KiB, nearly all of it the audit rows kept forever
JOB_RUNS = 15
JOB_ROUNDS = 5  # each store's jobs on a fresh copy, the stores in turn
# Beside the empty store (the targets): the last 90 days alone. Every window the bot reads
# (the credit watch's 6 hours, stranded approvals' 30 days, drafts' and test SMS' 90 days)
# then holds the same rows as in the year; what differs is only the history before that.
QUARTER = timedelta(days=90)
SAMPLES = 9
STARTUPS = 7
APPROVALS = 7
HISTORY_TITLE = "سابقهٔ ارسال‌ها"

Timings = dict[str, list[float]]


# ------------------------------------------------------------------ the stores


STORES = ("empty", "quarter", "year")


async def make_stores(tmp: Path, secret: str, scale: float) -> tuple[dict[str, Filled], float]:
    """The three stores: no use (the admins' keys only), the last 90 days of the year alone
    (the same recent work for every job, without the older history), and the whole year."""
    fernet = MultiFernet([Fernet(secret.encode())])
    end = now_utc()
    filled: dict[str, Filled] = {}
    took = 0.0
    for name in STORES:
        (tmp / name).mkdir()
        clock = Clock(end)
        async with Store(tmp / name / "bot.sqlite3", fernet, clock=clock) as store:
            started = time.monotonic()
            if name == "empty":
                filled[name] = await fill(store, clock, scale=0.0)
            elif name == "quarter":
                filled[name] = await fill(store, clock, scale=scale, only_last=QUARTER)
            else:
                filled[name] = await fill(store, clock, scale=scale)
                took = time.monotonic() - started
    return filled, took


async def store_jobs(path: Path, secret: str, out: Timings) -> None:
    """Each periodic job's store calls, as the job makes them, timed."""
    fernet = MultiFernet([Fernet(secret.encode())])
    people = admins()
    async with Store(path, fernet) as store:
        now = now_utc()
        newest = await store.list_broadcasts(people[0], limit=1)
        subject = f"broadcast:{newest[0].id}" if newest else "broadcast:1"

        async def expire() -> None:  # every minute
            await store.expire_requests(now)

        async def reconcile() -> None:  # every 2 minutes (and a claim's busy check)
            await store.give_up_unknown(now - timedelta(days=2))
            await store.list_unknown_broadcasts(since=now - timedelta(days=2))
            await store.owned_outbox_ids(list(range(10_000_000, 10_000_050)))
            await store.claim_outbox(0, 1)

        async def credit_ran_out() -> None:  # every 2 minutes
            await store.recent_broadcasts_of(people, 20, now - timedelta(hours=6))

        async def credit_sweep() -> None:  # every 6 hours
            for uid, stamp in await store.key_owners():
                await store.watch_state(uid, stamp)
                await store.largest_cost_since(uid, now - timedelta(hours=6))
                await store.unpriced_broadcasts_since(uid, now - timedelta(hours=6), 20)

        async def follow_ups() -> None:  # every 30 s
            await store.sends_to_follow_up(now - timedelta(days=2))
            await store.due_follow_ups(now)

        async def maintenance() -> None:  # hourly
            await store.prune(now)
            await store.vacuum_step()
            await store.checkpoint()

        async def start_up() -> None:  # once, before the first getUpdates
            await store.mark_interrupted_sends()
            await store.settle_interrupted_trials()
            await store.list_approved_without_broadcast(now - timedelta(days=30))
            await store.list_pending_requests()
            for key in await store.list_plan_keys("running"):
                await store.list_plan_batches(key)

        async def last_audit() -> None:  # a cancel pressed twice
            await store.last_audit(subject, "cancelled")

        jobs: dict[str, Callable[[], Awaitable[None]]] = {
            "job: expire requests (1 min)": expire,
            "job: reconcile unknown (2 min)": reconcile,
            "job: credit ran out (2 min)": credit_ran_out,
            "job: credit watch sweep (6 h)": credit_sweep,
            "job: follow-ups after a send (30 s)": follow_ups,
            "job: prune, vacuum step, checkpoint (1 h)": maintenance,
            "start-up store calls": start_up,
            "last audit row of a subject": last_audit,
        }
        for name, job in jobs.items():
            await job()  # warm
            for _ in range(JOB_RUNS):
                started = time.perf_counter()
                await job()
                out[name].append(time.perf_counter() - started)


# ------------------------------------------------------------------ the real process


class Side:
    """One running bot on one store, with its own fake Bot API."""

    def __init__(self, name: str, data_dir: Path, secret: str, sandbox: RunningSandbox):
        self.name = name
        self.data_dir = data_dir
        self.secret = secret
        self.sandbox = sandbox
        self.fake = BenchFake()
        self.proc: BotProcess | None = None
        self.times: Timings = defaultdict(list)
        self.res = Results()
        self.deep_cursor = deep_cursor(data_dir / "bot.sqlite3", admins()[0])

    async def start(self) -> None:
        await self.fake.start()
        env = bot_env(self.fake, self.sandbox.base_url, admins(), self.data_dir)
        env["SECRET_KEY"] = self.secret
        log = Path(tempfile.gettempdir()) / f"bench-year-{self.name}.log"
        self.proc = BotProcess(self.name, python_argv("bot"), env, log)

    async def spawn(self) -> float:
        assert self.proc is not None
        await self.proc.stop()
        self.fake.first_getupdates = None
        self.proc.spawn()
        deadline = time.monotonic() + 120
        while self.fake.first_getupdates is None:
            if not self.proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} bot never polled; see {self.proc.log_path}")
            await asyncio.sleep(0.002)
        return self.fake.first_getupdates - self.proc.spawned

    def driver(self, i: int) -> Driver:
        return Driver(self.fake, self.fake.user(admins()[i]), 0.06, 60.0)

    async def stop(self) -> None:
        if self.proc is not None:
            await self.proc.stop()
        await self.fake.stop()


async def history(side: Side, deep: bool) -> float:
    d = side.driver(0)
    mark = d.mark()
    samples: list[tuple[float, float]] = []
    await d.act(lambda: d.user.send("/history"), d.rendered(HISTORY_TITLE, mark), samples)
    if not deep:
        return samples[0][1]
    page = side.fake.find(d.chat, HISTORY_TITLE, mark)
    assert page is not None
    samples.clear()
    # the deepest page: the one older than the admin's sixth-oldest row (as the arrows of
    # the pages before it would carry it); the empty store has no such row (its first page)
    deepest = cb.HISTORY_OLDER.data(99, side.deep_cursor)
    await d.act(
        lambda: d.user.press_data(page.message_id, deepest, chat_id=d.chat),
        lambda n0: d.renders_since(n0) >= 1,
        samples,
    )
    return samples[0][1]


def deep_cursor(path: Path, admin: int) -> int:
    """The admin's sixth-oldest history row (1 when there is none)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT id FROM broadcasts WHERE (requester_id = ? OR approver_id = ?) "
            "AND batch_no <= 1 ORDER BY created_at, id LIMIT 1 OFFSET 5",
            (admin, admin),
        ).fetchone()
    return int(row[0]) if row else 1


async def measure_bots(tmp: Path, secret: str) -> dict[str, Timings]:
    sandbox = await start_sandbox(SandboxState(phonebooks=12))
    sides = [Side(name, tmp / name, secret, sandbox) for name in STORES]
    try:
        for side in sides:
            await side.start()
        for _ in range(STARTUPS):  # alternating: the machine's load hits every side alike
            for side in sides:
                side.times["start-up to first getUpdates"].append(await side.spawn())
        await asyncio.sleep(1.0)  # the first jobs run
        for _ in range(SAMPLES):
            for side in sides:
                side.times["/history first page"].append(await history(side, deep=False))
                side.times["/history deepest page"].append(await history(side, deep=True))
        cfg = Config(send_samples=1, bare_post_samples=1)
        for i in range(APPROVALS):  # one fresh requester per sample, sides alternating
            for side in sides:
                requester = [side.driver(2 + i)]
                await send_path_phase(cfg, side.res, side.fake, sandbox, requester, side.driver(1))
        for side in sides:
            side.times["approve -> POST at the panel"] = side.res.send_path
    finally:
        for side in sides:
            await side.stop()
        await sandbox.stop()
    return {side.name: side.times for side in sides}


# ------------------------------------------------------------------ the report


def file_size(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.iterdir() if p.name.startswith("bot.sqlite3"))


def report(
    times: dict[str, Timings], sizes: dict[str, int], filled: dict[str, Filled], scale: float
) -> tuple[str, bool]:
    """Each figure of a year against the empty store, which is what the targets are about
    (#23), with the last 90 days alone beside it (info: what the history alone costs)."""
    head = (
        f"{'measure (median)':42} | {'empty':>9} | {'90 days':>9} | {'a year':>9} | "
        f"{'yr/empty':>8} | {'yr/90d':>7} | target          |"
    )
    lines = [head, "-" * len(head)]
    ok_all = True
    empty, quarter, year = (times[name] for name in STORES)
    for name in year:
        e, w, y = (statistics.median(t[name]) for t in (empty, quarter, year))
        limit = STARTUP_RATIO if name.startswith("start-up to") else LATENCY_RATIO
        # under 50 µs the clock's own jitter decides a ratio: judged against 50 µs
        ok = y <= limit * max(e, 50e-6)
        ok_all &= ok
        target = f"<= {limit:.1f}x empty"
        lines.append(
            f"{name:42} | {e * 1000:7.2f}ms | {w * 1000:7.2f}ms | {y * 1000:7.2f}ms | "
            f"{y / e:7.2f}x | {y / w:6.2f}x | {target:15} | {'PASS' if ok else 'MISS'}"
        )
    f = filled["year"]
    per = (sizes["year"] - sizes["empty"]) / max(1, f.requests) / 1024
    ok = per <= KIB_PER_BROADCAST
    ok_all &= ok
    size = (
        f"{sizes['empty'] / 1024:7.0f}KiB | {sizes['quarter'] / 2**20:7.1f}MiB | "
        f"{sizes['year'] / 2**20:7.1f}MiB"
    )
    lines += [
        f"{'database file (size per broadcast)':42} | {size} | {per:6.1f} KiB per broadcast "
        f"| <= {KIB_PER_BROADCAST:.0f} KiB/bc | {'PASS' if ok else 'MISS'}",
        "",
        f"a year (scale {scale:g}): {f.requests:,} requests, {f.broadcasts:,} broadcast rows "
        f"(plans' batches included), {f.audit:,} audit rows, {f.drafts:,} drafts, "
        f"{f.trials:,} test SMS, {ADMINS} admins; pruned as the hourly job does. Size per "
        "broadcast: ~100 audit rows per broadcast (kept forever) are most of it (README)",
        "spread over the samples, a year (min-max ms): "
        + ", ".join(
            f"{name} {min(v) * 1000:.1f}-{max(v) * 1000:.1f}"
            for name, v in year.items()
            if not name.startswith("job")
        ),
    ]
    return "\n".join(lines), ok_all


async def main(scale: float) -> tuple[str, bool]:
    secret = Fernet.generate_key().decode()
    with tempfile.TemporaryDirectory(prefix="bench-year-") as raw:
        tmp = Path(raw)
        filled, took = await make_stores(tmp, secret, scale)
        print(f"filled a year (scale {scale:g}) in {took:.0f} s", file=sys.stderr)
        sizes = {name: file_size(tmp / name) for name in STORES}
        times: dict[str, Timings] = {name: defaultdict(list) for name in STORES}
        for _ in range(JOB_ROUNDS):  # alternating: the machine's load hits every store alike
            for name in STORES:
                copy = tmp / f"{name}-jobs"
                shutil.copytree(tmp / name, copy, dirs_exist_ok=True)
                await store_jobs(copy / "bot.sqlite3", secret, times[name])
        for name, measured in (await measure_bots(tmp, secret)).items():
            times[name].update(measured)
        return report(times, sizes, filled, scale)


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.year", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of a year's counts")
    args = parser.parse_args(argv)
    text, ok = asyncio.run(main(args.scale))
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run())
