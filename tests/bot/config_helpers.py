"""Settings as the tests build them, and ``python -m bot`` run once to its exit; shared by
the configuration and approval-rule tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import load_settings

REPO = Path(__file__).resolve().parents[2]

TOKEN = "123456789:AAHk-test-token-abcdefghijklmnopqrstuv"


def settings(tmp_path: Path, **extra: object):
    values: dict[str, object] = {
        "telegram_bot_token": TOKEN,
        "admin_ids": "11, 22",
        "data_dir": tmp_path,
        "_env_file": None,
    }
    values.update(extra)
    return load_settings(**values)


def run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "ADMIN_IDS")}
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env={**base, "PYTHONPATH": str(REPO), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
