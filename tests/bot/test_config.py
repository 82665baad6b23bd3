"""Configuration, the secret-key file, log redaction, and `python -m bot` on bad config."""

from __future__ import annotations

import io
import logging
import stat
from datetime import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.approval_rules import ApprovalRule, ApprovalRules
from bot.config import ConfigError, load_settings
from bot.keyfile import load_fernet
from bot.logs import SECRETS, setup_logging
from bot.quiet_hours import QuietHours
from tests.bot.config_helpers import TOKEN, run_bot, settings


def test_defaults(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s.admin_ids == [11, 22]
    assert s.approvers == {11, 22}  # APPROVER_IDS defaults to ADMIN_IDS
    assert s.approvals_required is True
    assert s.ippanel_base_url == "https://edge.ippanel.com/v1"
    assert s.timezone == "Asia/Tehran"
    assert s.database_path == tmp_path / "bot.sqlite3"


def test_guardrail_defaults_and_off_switches(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert str(s.quiet_hours) == "22:00-08:00"
    assert (s.repeat_window_hours, s.monthly_budget_rials, s.budget_hard) == (24, None, False)
    assert (s.follow_up_minutes, s.follow_up_low_share) == (60, 80)
    # QUIET_HOURS= (empty) turns the night hours off; an empty budget means no budget
    off = settings(tmp_path, quiet_hours="", monthly_budget_rials="", budget_hard="true")
    assert (off.quiet_hours, off.monthly_budget_rials, off.budget_hard) == (None, None, True)


def test_environment_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "5,6")
    monkeypatch.setenv("APPROVER_IDS", "6,7")
    monkeypatch.setenv("APPROVALS_REQUIRED", "0")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot/")
    s = load_settings(_env_file=None)
    assert (s.admin_ids, s.approver_ids, s.approvals_required) == ([5, 6], [6, 7], False)
    assert s.known_users == {5, 6, 7}
    assert s.telegram_api_base_url == "http://127.0.0.1:8081/bot"


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"admin_ids": "abc"}, "ADMIN_IDS"),
        ({"admin_ids": ""}, "ADMIN_IDS"),
        ({"telegram_bot_token": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({"approvals_required": "2"}, "APPROVALS_REQUIRED"),
        ({"secret_key": "short"}, "SECRET_KEY"),
        ({"timezone": "Mars/Olympus"}, "TIMEZONE"),
        ({"ippanel_base_url": "ftp://x"}, "IPPANEL_BASE_URL"),
        ({"telegram_proxy_url": "gopher://x"}, "TELEGRAM_PROXY_URL"),
        ({"log_level": "LOUD"}, "LOG_LEVEL"),
        ({"webhook_url": "https://bot.example.com"}, "WEBHOOK_SECRET"),
        ({"quiet_hours": "22-08"}, "QUIET_HOURS"),
        ({"quiet_hours": "22:00-22:00"}, "QUIET_HOURS"),
        ({"repeat_window_hours": "a day"}, "REPEAT_WINDOW_HOURS"),
        ({"repeat_window_hours": "-1"}, "REPEAT_WINDOW_HOURS"),
        ({"monthly_budget_rials": "20M"}, "MONTHLY_BUDGET_RIALS"),
        ({"monthly_budget_rials": "0"}, "MONTHLY_BUDGET_RIALS"),
        ({"budget_hard": "maybe"}, "BUDGET_HARD"),
        ({"follow_up_minutes": "-5"}, "FOLLOW_UP_MINUTES"),
        ({"follow_up_low_share": "120"}, "FOLLOW_UP_LOW_SHARE"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, extra: dict, variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings(tmp_path, **extra)
    message = str(err.value)
    assert message.startswith(variable)
    assert "\n" not in message


def test_missing_token_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN is required"):
        load_settings(admin_ids="1", data_dir=tmp_path, _env_file=None)


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"^DATA_DIR"):
        settings(tmp_path, data_dir=blocker / "sub")


def test_secret_key_file_created_once_with_mode_0600(tmp_path: Path) -> None:
    s = settings(tmp_path)
    first = load_fernet(s)
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = first.encrypt(b"payload")
    again = load_fernet(s)  # reused, not regenerated
    assert again.decrypt(token) == b"payload"


def test_secret_key_setting_supports_rotation(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = load_fernet(settings(tmp_path, secret_key=old)).encrypt(b"x")
    both = load_fernet(settings(tmp_path, secret_key=f"{new},{old}"))
    assert both.decrypt(token) == b"x"
    assert not (tmp_path / "secret.key").exists()


def test_log_lines_hide_the_token_and_registered_keys() -> None:
    stream = io.StringIO()
    setup_logging("DEBUG", stream)
    SECRETS.add("ippanel-secret-key-0123456789")
    log = logging.getLogger("bot.test")
    log.info("GET https://api.telegram.org/bot%s/getUpdates", TOKEN)
    log.debug("user sent ippanel-secret-key-0123456789")
    try:
        raise RuntimeError(f"boom with {TOKEN}")
    except RuntimeError:
        log.exception("failed")
    # third-party loggers stay above DEBUG: PTB prints whole updates there
    logging.getLogger("telegram.ext").debug("getUpdates result with a key")
    text = stream.getvalue()
    assert TOKEN not in text and "ippanel-secret-key-0123456789" not in text
    assert "[REDACTED]" in text
    assert "getUpdates result" not in text
    assert logging.getLogger("httpx").level == logging.WARNING


def test_python_m_bot_without_configuration_exits_2(tmp_path: Path) -> None:
    result = run_bot({}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_python_m_bot_with_bad_admin_ids_exits_2(tmp_path: Path) -> None:
    result = run_bot(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "abc", "DATA_DIR": str(tmp_path)}, tmp_path
    )
    assert result.returncode == 2
    assert "ADMIN_IDS" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------ every variable, as written

KEY = Fernet.generate_key().decode()
# variable, a valid single value, the setting it becomes, a bad value (None: nothing is bad).
# "{tmp}" stands for the test's temporary directory.
TABLE: list[tuple[str, str, object, str | None]] = [
    ("TELEGRAM_BOT_TOKEN", TOKEN, TOKEN, "not-a-token"),
    ("ADMIN_IDS", "1001", [1001], "alice"),
    ("APPROVER_IDS", "1002", [1002], "1002;1003"),
    ("APPROVALS_REQUIRED", "0", False, "yes"),
    ("APPROVAL_TTL_HOURS", "12", 12.0, "-1"),
    (
        "APPROVAL_RULES",
        # ADMIN_IDS 11,22 are both approvers: each can get one approval (never their own)
        "recipients>=5000:1",
        ApprovalRules((ApprovalRule("recipients", 5000, 1),)),
        "recipients>5000:2",
    ),
    (
        "IPPANEL_BASE_URL",
        "http://127.0.0.1:8990/v1",
        "http://127.0.0.1:8990/v1",
        "edge.ippanel.com",
    ),
    ("IPPANEL_CONNECT_TIMEOUT", "3", 3.0, "0"),
    ("IPPANEL_READ_TIMEOUT", "30", 30.0, "soon"),
    ("IPPANEL_DEADLINE_SECONDS", "45", 45.0, "-3"),
    ("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/bot", "x:8081"),
    ("TELEGRAM_PROXY_URL", "socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080", "127.0.0.1:1080"),
    ("DATA_DIR", "{tmp}/data", "{tmp}/data", "{tmp}/a-file/data"),
    ("SECRET_KEY", KEY, KEY, "short"),
    ("TIMEZONE", "UTC", "UTC", "Mars/Olympus"),
    ("MESSAGE_SUFFIX", "لغو۱۱", "لغو۱۱", None),
    ("WEBHOOK_URL", "https://bot.example.com", "https://bot.example.com", "bot.example.com"),
    ("WEBHOOK_SECRET", "s3cret-token", "s3cret-token", "not secret!"),
    ("PORT", "8080", 8080, "70000"),
    ("LOG_LEVEL", "debug", "DEBUG", "LOUD"),
    ("CREDIT_ALERT_RIALS", "500000", 500000.0, "-5"),
    ("CREDIT_CHECK_HOURS", "12", 12.0, "often"),
    ("QUIET_HOURS", "23:00-07:30", QuietHours(time(23), time(7, 30)), "late"),
    ("REPEAT_WINDOW_HOURS", "48", 48.0, "a day"),
    ("MONTHLY_BUDGET_RIALS", "20000000", 20000000.0, "-1"),
    ("BUDGET_HARD", "true", True, "maybe"),
    ("FOLLOW_UP_MINUTES", "90", 90.0, "later"),
    ("FOLLOW_UP_LOW_SHARE", "75", 75.0, "0"),
    ("TEST_SMS_DAILY_CAP", "4", 4, "ten"),
]
NAMES = [row[0] for row in TABLE]
# WEBHOOK_SECRET is here so that WEBHOOK_URL alone is valid.
BASE = {"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "11,22", "WEBHOOK_SECRET": "base-secret"}


def test_the_table_covers_every_setting() -> None:
    from bot.config import EXPECTED, Settings

    assert set(NAMES) == {name.upper() for name in Settings.model_fields} == set(EXPECTED)


def value_of(s, name: str) -> object:
    value = getattr(s, name.lower())
    if hasattr(value, "get_secret_value"):
        return value.get_secret_value()
    return str(value) if isinstance(value, Path) else value


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """load(source, NAME=value...) reads the settings from the environment or a .env file."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "a-file").write_text("x")
    monkeypatch.chdir(tmp_path)  # the default DATA_DIR, ./data, lands here

    def _load(source: str, **variables: str | None):
        """A variable given as None is left unset."""
        values = {"DATA_DIR": str(tmp_path), **BASE, **variables}
        values = {k: v.replace("{tmp}", str(tmp_path)) for k, v in values.items() if v is not None}
        if source == "env":
            for name, value in values.items():
                monkeypatch.setenv(name, value)
            return load_settings(_env_file=None)
        env_file = tmp_path / ".env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
        return load_settings(_env_file=env_file)

    return _load


@pytest.mark.parametrize("source", ["env", ".env"])
@pytest.mark.parametrize(("name", "good", "expected", "bad"), TABLE, ids=NAMES)
def test_each_variable_takes_a_single_value_and_names_itself_when_bad(
    load, tmp_path: Path, source: str, name: str, good: str, expected: object, bad: str | None
) -> None:
    if isinstance(expected, str):
        expected = expected.replace("{tmp}", str(tmp_path))
    assert value_of(load(source, **{name: good}), name) == expected
    if bad is None:
        return
    with pytest.raises(ConfigError) as err:
        load(source, **{name: bad})
    assert str(err.value).startswith(f"{name} is invalid: ")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("source", ["env", ".env"])
@pytest.mark.parametrize("blank", ["", "  "])
@pytest.mark.parametrize("name", NAMES)
def test_an_empty_variable_means_its_default(load, source: str, blank: str, name: str) -> None:
    """`APPROVER_IDS=` in .env, or `PORT: ""` in compose, is how people leave a setting unset."""
    if name in ("TELEGRAM_BOT_TOKEN", "ADMIN_IDS"):
        with pytest.raises(ConfigError, match=rf"^{name} is required: expected "):
            load(source, **{name: blank})
        return
    if name == "QUIET_HOURS":  # the one exception (#22): "QUIET_HOURS=" turns them off
        assert value_of(load(source, **{name: None}), name) is not None
        assert value_of(load(source, **{name: blank}), name) is None
        return
    unset = load(source, **{name: None})
    assert value_of(load(source, **{name: blank}), name) == value_of(unset, name)


@pytest.mark.parametrize("source", ["env", ".env"])
def test_id_lists_as_people_write_them(load, source: str) -> None:
    s = load(source, ADMIN_IDS=" 1001 , 1002, ", APPROVER_IDS="1002,")
    assert (s.admin_ids, s.approver_ids) == ([1001, 1002], [1002])
    s = load(source, ADMIN_IDS="1001", APPROVER_IDS="")
    assert s.approvers == {1001}  # empty: every admin approves, not nobody
    with pytest.raises(ConfigError, match=r"^APPROVER_IDS is invalid"):
        load(source, APPROVER_IDS=",")


def test_an_empty_environment_variable_overrides_the_env_file(
    load, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compose's `APPROVER_IDS: ""` wins over a stale value in .env: it means the default."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=1,2\nAPPROVER_IDS=2\n")
    monkeypatch.setenv("APPROVER_IDS", "")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert load_settings(_env_file=env_file).approvers == {1, 2}
