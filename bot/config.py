"""Configuration from environment variables and an optional ``.env`` file.

Every setting is documented in README.md and .env.example. ``load_settings``
turns any problem into a one-line ``ConfigError`` that names the variable and
what is expected, so ``python -m bot`` can print it and exit 2 without a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.approval_rules import ApprovalRules, parse_rules, unreachable
from bot.quiet_hours import QuietHours, parse_quiet_hours

DEFAULT_IPPANEL_BASE_URL = "https://edge.ippanel.com/v1"
DEFAULT_QUIET_HOURS = "22:00-08:00"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for people."""


# What each variable expects, used to word the one-line error.
EXPECTED = {
    "TELEGRAM_BOT_TOKEN": "the bot token from @BotFather, like 123456:ABC-DEF…",
    "ADMIN_IDS": "comma-separated numeric Telegram user ids, like 11111,22222",
    "APPROVER_IDS": "comma-separated numeric Telegram user ids (default: ADMIN_IDS)",
    "APPROVALS_REQUIRED": "0 or 1",
    "APPROVAL_TTL_HOURS": "a positive number of hours, like 24",
    "APPROVAL_RULES": "comma-separated rules recipients>=N:K or cost>=N:K (N recipients or "
    "rials, K approvals from 1 to 100), like recipients>=5000:2,cost>=20000000:2",
    "IPPANEL_BASE_URL": "an http(s) URL, like https://edge.ippanel.com/v1",
    "TELEGRAM_API_BASE_URL": "an http(s) URL of a Bot API server, like http://127.0.0.1:8081/bot",
    "DATA_DIR": "a readable and writable directory",
    "SECRET_KEY": "one or more comma-separated Fernet keys (32 url-safe base64-encoded bytes)",
    "TIMEZONE": "an IANA time zone name, like Asia/Tehran",
    "WEBHOOK_URL": "a public https URL Telegram can reach",
    "WEBHOOK_SECRET": "1-256 characters of A-Z, a-z, 0-9, _ and -",
    "PORT": "a TCP port number between 1 and 65535",
    "TELEGRAM_PROXY_URL": "a proxy URL, like socks5://127.0.0.1:1080 or http://proxy:3128",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "MESSAGE_SUFFIX": "text appended to every SMS, like لغو۱۱",
    "IPPANEL_CONNECT_TIMEOUT": "seconds, a positive number",
    "IPPANEL_READ_TIMEOUT": "seconds, a positive number",
    "IPPANEL_DEADLINE_SECONDS": "seconds, a positive number",
    "CREDIT_ALERT_RIALS": "a positive number of rials, or empty for the largest broadcast "
    "of the last 30 days",
    "CREDIT_CHECK_HOURS": "hours between credit checks, a positive number (0 turns them off)",
    "QUIET_HOURS": "a Tehran-time window HH:MM-HH:MM, like 22:00-08:00 (empty turns it off)",
    "REPEAT_WINDOW_HOURS": "hours to look back for a repeated send, like 24 (0 turns it off)",
    "MONTHLY_BUDGET_RIALS": "the month's SMS budget in rials, a positive number (unset: no budget)",
    "BUDGET_HARD": "true or false",
    "FOLLOW_UP_MINUTES": "minutes after a send for its follow-up, like 60 (0 turns it off)",
    "FOLLOW_UP_LOW_SHARE": "a percentage from 1 to 100, like 80",
    "TEST_SMS_DAILY_CAP": "a whole number of test SMS per admin in 24 hours, like 10",
}

# Settings whose empty value is a value of its own, not "the default": QUIET_HOURS= is "off".
_EMPTY_IS_A_VALUE = frozenset({"quiet_hours"})

# A list of ids written as "1001", "1001, 1002" or "1001,". JSON decoding is off for the
# whole model (enable_decoding=False below): pydantic-settings would otherwise read a lone
# "1002" as the JSON number 1002, and an ``Annotated[..., NoDecode]`` marker is silently
# lost once the type is wrapped in ``| None``.
IdList = list[int]


def _parse_ids(value: Any) -> Any:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not all(p.isascii() and p.lstrip("-").isdigit() for p in parts):
            raise ValueError("not a list of numbers")
        return [int(p) for p in parts]
    return value


def _check_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError("not an http(s) URL")
    return value.rstrip("/")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        enable_decoding=False,  # every value is plain text; validators below parse it
    )

    telegram_bot_token: SecretStr
    admin_ids: IdList
    approver_ids: IdList | None = None
    approvals_required: bool = True
    approval_ttl_hours: float = Field(24.0, gt=0)
    # approval rules: more approvals above a size or a cost (empty: one approval)
    approval_rules: ApprovalRules = ApprovalRules()
    ippanel_base_url: str = DEFAULT_IPPANEL_BASE_URL
    ippanel_connect_timeout: float = Field(5.0, gt=0)
    ippanel_read_timeout: float = Field(20.0, gt=0)
    # the whole of one provider call, retries included: httpx's read timeout restarts with
    # every byte, so a panel trickling its answer would otherwise hold a call for ever
    ippanel_deadline_seconds: float = Field(30.0, gt=0)
    telegram_api_base_url: str | None = None
    data_dir: Path = Path("./data")
    secret_key: SecretStr | None = None
    timezone: str = "Asia/Tehran"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: int = Field(8443, ge=1, le=65535)
    telegram_proxy_url: str | None = None
    log_level: str = "INFO"
    message_suffix: str = ""
    # team rules: the credit watch (None: the cost of the key's largest recent broadcast)
    credit_alert_rials: float | None = Field(None, gt=0)
    credit_check_hours: float = Field(6.0, ge=0)
    # campaign guardrails (#22): night hours, repeats, the month's budget, the follow-up
    quiet_hours: QuietHours | None = parse_quiet_hours(DEFAULT_QUIET_HOURS)
    repeat_window_hours: float = Field(24.0, ge=0)
    monthly_budget_rials: float | None = Field(None, gt=0)
    budget_hard: bool = False
    follow_up_minutes: float = Field(60.0, ge=0)
    follow_up_low_share: float = Field(80.0, gt=0, le=100)
    # test SMS per admin in 24 hours, besides the limit per line and text
    test_sms_daily_cap: int = Field(10, ge=1, le=1000)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value().strip()
        head, _, tail = raw.partition(":")
        if not (head.isdigit() and len(tail) >= 10):
            raise ValueError("malformed token")
        return SecretStr(raw)

    @field_validator("admin_ids", "approver_ids", mode="before")
    @classmethod
    def _ids(cls, v: Any) -> Any:
        return _parse_ids(v)

    @field_validator("admin_ids", "approver_ids")
    @classmethod
    def _ids_not_empty(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and not v:  # e.g. "," — an unset APPROVER_IDS is None, not []
            raise ValueError("empty")
        return v

    @field_validator("approvals_required", mode="before")
    @classmethod
    def _zero_or_one(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v.strip() not in ("0", "1"):
                raise ValueError("not 0 or 1")
            return v.strip()
        return v

    @field_validator("approval_rules", mode="before")
    @classmethod
    def _approval_rules(cls, v: Any) -> Any:
        return parse_rules(v) if isinstance(v, str) else v

    @field_validator("ippanel_base_url", "telegram_api_base_url", "webhook_url")
    @classmethod
    def _urls(cls, v: str | None) -> str | None:
        return _check_url(v)

    @field_validator("telegram_proxy_url")
    @classmethod
    def _proxy(cls, v: str | None) -> str | None:
        if not v:
            return None
        if not v.startswith(("http://", "https://", "socks5://", "socks5h://", "socks4://")):
            raise ValueError("not a proxy URL")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        v = v.strip()
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.strip().upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("unknown level")
        return v

    @field_validator("secret_key")
    @classmethod
    def _fernet_keys(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        for key in v.get_secret_value().split(","):
            Fernet(key.strip().encode())  # raises ValueError on a malformed key
        return v

    @field_validator("credit_alert_rials", "monthly_budget_rials", mode="before")
    @classmethod
    def _empty_is_auto(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet_hours(cls, v: Any) -> Any:
        return parse_quiet_hours(v) if isinstance(v, str) else v

    @field_validator("budget_hard", mode="before")
    @classmethod
    def _true_or_false(cls, v: Any) -> Any:
        if isinstance(v, str):
            word = v.strip().lower()
            if word not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError("not true or false")
            return word in ("true", "1", "yes")
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value():
            return None
        raw = v.get_secret_value()
        if not (
            1 <= len(raw) <= 256 and all(c.isascii() and (c.isalnum() or c in "_-") for c in raw)
        ):
            raise ValueError("bad characters")
        return v

    @field_validator("*", mode="before")
    @classmethod
    def _empty_means_default(cls, v: Any, info: ValidationInfo) -> Any:
        # Defined last so that pydantic runs it before the other "before" validators.
        # `APPROVER_IDS=` in .env or `PORT: ""` in compose is how people leave a setting
        # unset; for a required variable this becomes the usual "is required" error.
        if isinstance(v, str) and not v.strip() and info.field_name not in _EMPTY_IS_A_VALUE:
            field = cls.model_fields[info.field_name or ""]
            if v != field.default:  # defaults are validated too; "" may be the default
                raise PydanticUseDefault()
        return v

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if self.approver_ids is None:
            self.approver_ids = list(self.admin_ids)
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET: required when WEBHOOK_URL is set")
        if self.approvals_required:
            # some request could never collect that many: stop now, not at a submit
            problem = unreachable(self.approval_rules, self.admin_ids, self.approver_ids or ())
            if problem:
                raise ValueError(problem)
        return self

    # Derived views used across the bot.
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def approvers(self) -> frozenset[int]:
        return frozenset(self.approver_ids or ())

    @property
    def known_users(self) -> frozenset[int]:
        return frozenset(self.admin_ids) | self.approvers

    @property
    def database_path(self) -> Path:
        return self.data_dir / "bot.sqlite3"

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"


def _one_line(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = err.get("loc") or ()
    if loc:
        name = str(loc[0]).upper()
        kind = "is required" if err.get("type") == "missing" else "is invalid"
        line = f"{name} {kind}: expected {EXPECTED.get(name, 'a valid value')}"
        # a validator may name the bad piece ("got 'cost>20:2'"); never a secret's value
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        if msg.startswith("got ") and name == "APPROVAL_RULES":
            line += f"; {msg}"
        return " ".join(line.split())  # one line, whatever was typed
    # model-level errors carry "VARIABLE: reason" in their message
    msg = str(err.get("msg", "invalid configuration")).removeprefix("Value error, ")
    return msg


def check_data_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"DATA_DIR is invalid: cannot create {path} ({exc.strerror})") from None
    if not path.is_dir() or not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise ConfigError(f"DATA_DIR is invalid: expected {EXPECTED['DATA_DIR']}, got {path}")


def load_settings(**overrides: Any) -> Settings:
    """Read and check the configuration; raise ConfigError with one line on any problem."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None
    check_data_dir(settings.data_dir)
    return settings
