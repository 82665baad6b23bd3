"""The fake IPPanel panel's test controls: faults, hangs, scale, the command line."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from sandbox import SandboxState
from tests.sandbox_fixtures import SANDBOX_KEY, SANDBOX_SENDER, running_sandbox, sandbox_client

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_http_fault_controls(sandbox) -> None:
    root = sandbox.root_url
    headers = {"Authorization": SANDBOX_KEY}
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            f"{root}/__sandbox/faults", json={"path": "/api/payment/credit/mine", "mode": "500"}
        )
        assert resp.json()["ok"] is True
        first = await http.get(f"{sandbox.base_url}/api/payment/credit/mine", headers=headers)
        assert first.status_code == 500
        second = await http.get(f"{sandbox.base_url}/api/payment/credit/mine", headers=headers)
        assert second.status_code == 200
        bad = await http.post(f"{root}/__sandbox/faults", json={"path": "/x", "mode": "nope"})
        assert bad.status_code == 400
        await http.post(
            f"{root}/__sandbox/faults",
            json={"path": "/api/number/numbers", "mode": "not_json", "status": 500, "times": 2},
        )
        for _ in range(2):
            resp = await http.get(f"{sandbox.base_url}/api/number/numbers", headers=headers)
            assert resp.status_code == 500 and resp.headers["content-type"].startswith("text/html")
        await http.post(
            f"{sandbox.base_url}/api/send",
            headers=headers,
            json={"sending_type": "phonebook", "message": ""},
        )
        log = (await http.get(f"{root}/__sandbox/requests")).json()
        assert log["send_posts"] == 1
        assert [r["path"] for r in log["requests"]][:2] == [
            "/v1/api/payment/credit/mine",
            "/v1/api/payment/credit/mine",
        ]
        assert log["requests"][0]["authorization"] == SANDBOX_KEY
        await http.post(f"{root}/__sandbox/credit", json={"key": SANDBOX_KEY, "credit": 5})
        assert sandbox.state.accounts[SANDBOX_KEY].credit == 5
        await http.post(f"{root}/__sandbox/faults", json={"path": "/api/send", "mode": "401"})
        assert (await http.post(f"{root}/__sandbox/reset")).json() == {"ok": True}
        log = (await http.get(f"{root}/__sandbox/requests")).json()
        assert log == {"requests": [], "send_posts": 0}
        assert sandbox.state.faults == [] and sandbox.state.accounts[SANDBOX_KEY].credit > 5
        assert (await http.get(f"{root}/__sandbox/sends")).json() == {"sends": []}


async def test_python_fault_switch_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError):
        SandboxState().fail_next("/api/send", "explode")


async def test_hang_is_released_on_stop() -> None:
    async with running_sandbox() as running:
        running.state.fail_next("/api/send", "hang", delay=60)
        async with sandbox_client(running, read_timeout=30) as client:
            task = asyncio.create_task(
                client.send_to_phonebooks(
                    SANDBOX_KEY,
                    sender=SANDBOX_SENDER,
                    message="x",
                    params=[{"type": "all", "phonebook_ids": ["120000"]}],
                )
            )
            for _ in range(500):
                if running.state.send_post_count:
                    break
                await asyncio.sleep(0.01)
            await asyncio.wait_for(running.stop(), timeout=5)
            with pytest.raises(Exception):  # noqa: B017 - the sandbox went away mid-request
                await asyncio.wait_for(task, timeout=5)


async def test_large_sandbox_pages_quickly() -> None:
    async with running_sandbox(phonebooks=10_000, contacts_per_book=10) as running:
        assert sum(p.count for p in running.state.phonebooks.values()) == 100_000
        async with sandbox_client(running) as client:
            page = await client.phonebooks(SANDBOX_KEY, page=500, per_page=20)
            assert page.total == 10_000 and page.last_page == 500 and len(page.items) == 20
            assert page.items[-1].id == "129999"
            found = await client.phonebooks(SANDBOX_KEY, title="همکاران 834", per_page=10)
            assert [b.title for b in found.items] == ["همکاران 834"]
            contacts = await client.contacts(SANDBOX_KEY, phonebook_id="129999", per_page=1000)
            assert contacts.total == 10 and len({c.id for c in contacts.items}) == 10
            target = contacts.items[7]
            hit = await client.contacts(SANDBOX_KEY, phonebook_id="129999", number=target.number)
            assert target.id in [c.id for c in hit.items]
            # a send to every book still answers (recipients counted without a big list)
            result = await client.send_to_phonebooks(
                SANDBOX_KEY,
                sender=SANDBOX_SENDER,
                message="hi",
                params=[{"type": "all", "phonebook_ids": [str(120000 + i) for i in range(100)]}],
            )
            report = await client.report(SANDBOX_KEY, outbox_id=result.outbox_ids[0])
            assert report.rcpts_count == 1000


def test_cli_arguments() -> None:
    from sandbox.__main__ import parse_args

    args = parse_args(["--port", "0", "--phonebooks", "3", "--contacts-per-book", "4"])
    assert (args.port, args.phonebooks, args.contacts_per_book, args.host) == (0, 3, 4, "127.0.0.1")


async def test_cli_serves_and_prints() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--phonebooks",
        "3",
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=REPO_ROOT,
    )
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=10)).decode()
        base_url = line.strip().split("=", 1)[1]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        keys = (await asyncio.wait_for(proc.stdout.readline(), timeout=5)).decode()
        assert "sandbox-key" in keys
        async with sandbox_client(base_url) as client:
            page = await client.phonebooks(SANDBOX_KEY)
            assert page.total == 3
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=10)
