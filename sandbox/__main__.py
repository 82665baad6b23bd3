"""Serve the fake IPPanel panel: ``python -m sandbox --port 8990``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .app import SandboxState, start_sandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Local fake IPPanel Edge API"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8990, help="0 picks a free port")
    parser.add_argument("--phonebooks", type=int, default=40)
    parser.add_argument("--contacts-per-book", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--credit", type=int, default=50_000_000, help="rials per account")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    state = SandboxState(
        seed=args.seed,
        phonebooks=args.phonebooks,
        contacts_per_book=args.contacts_per_book,
        credit=args.credit,
    )
    running = await start_sandbox(state, args.host, args.port, access_log=not args.quiet)
    print(f"IPPanel sandbox listening: IPPANEL_BASE_URL={running.base_url}", flush=True)
    for key, account in state.accounts.items():
        blocked = " (send_block)" if account.send_block else ""
        lines = ", ".join(account.lines)
        print(f"  api key {key!r}: {account.name}{blocked}; lines {lines}", flush=True)
    print(f"  control: {running.root_url}/__sandbox/(faults|reset|requests|sends)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
