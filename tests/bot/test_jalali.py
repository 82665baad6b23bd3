from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.jalali import TimeError, format_jalali, parse_jalali, quick_choices

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # 1405/09/05 15:30 in Tehran


@pytest.mark.parametrize("typed", ["۱۴۰۵/۰۹/۱۰ ۱۸:۳۰", "1405/9/10 18:30", "١٤٠٥-٠٩-١٠ ١٨:٣٠"])
def test_parse_persian_arabic_and_latin_digits(typed: str) -> None:
    when = parse_jalali(typed, now=NOW, tz=TEHRAN)
    # Tehran is UTC+03:30 all year since Iran dropped daylight saving
    assert when.astimezone(UTC) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_tehran_has_no_daylight_saving_in_summer() -> None:
    summer = parse_jalali("1406/04/01 12:00", now=NOW, tz=TEHRAN)
    assert summer.utcoffset() == timedelta(hours=3, minutes=30)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1405/13/01 10:00", "invalid_date"),
        ("1405/07/31 10:00", "invalid_date"),  # Mehr has 30 days
        ("1405/09/05 15:35", "too_soon"),
        ("1404/01/01 10:00", "too_soon"),
        ("tomorrow", "format"),
        ("1405/9/10", "format"),
        ("1405/09/10 25:00", "invalid_time"),
        ("1405/09/10 18:60", "invalid_time"),
        ("1406/09/10 10:00", "too_far"),  # a year and five days ahead
        ("2026/12/01 14:30", None),
        ("2648/02/20 11:00", "too_far"),  # what "2026/12/01" once became as a Jalali year
        ("2026/02/30 10:00", "invalid_date"),
        ("-1405/09/10 10:00", "format"),
    ],
)
def test_refused_times(typed: str, reason: str | None) -> None:
    if reason is None:
        parse_jalali(typed, now=NOW, tz=TEHRAN)
        return
    with pytest.raises(TimeError) as err:
        parse_jalali(typed, now=NOW, tz=TEHRAN)
    assert err.value.reason == reason


@pytest.mark.parametrize(
    "typed",
    ["2026/12/01 18:30", "2026-12-01 18:30:00", "۲۰۲۶/۱۲/۰۱ ۱۸:۳۰", "1405/09/10 ساعت 18:30",
     "۱۴۰۵/۰۹/۱۰ ساعت ۱۸:۳۰", "1405/9/10 18:30:59", "1405/09/10، 18:30"],
)  # fmt: skip
def test_gregorian_years_seconds_and_the_word_for_at(typed: str) -> None:
    when = parse_jalali(typed, now=NOW, tz=TEHRAN)
    assert when.astimezone(UTC) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_format_round_trip_in_persian_digits() -> None:
    when = parse_jalali("1405/9/10 18:30", now=NOW, tz=TEHRAN)
    assert format_jalali(when, TEHRAN) == "۱۴۰۵/۰۹/۱۰ ۱۸:۳۰"
    assert format_jalali(when, TEHRAN, "en") == "1405/09/10 18:30"


def test_quick_choices_drop_tonight_when_it_has_passed() -> None:
    late = datetime(2026, 11, 26, 16, 25, tzinfo=UTC)  # 19:55 in Tehran
    assert "tonight" not in quick_choices(late, TEHRAN)
    early = quick_choices(NOW, TEHRAN)
    assert early["tonight"].hour == 20 and early["tomorrow"].hour == 9


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["Asia/Tehran", "UTC", "America/Los_Angeles", "Asia/Kabul"]),
)
def test_format_jalali_reads_as_jdatetime_formats_it(when: datetime, zone: str) -> None:
    """The date and time shown are jdatetime's own ``%Y/%m/%d %H:%M`` of the local time."""
    local = when.astimezone(ZoneInfo(zone))
    expected = jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M")
    assert format_jalali(when, ZoneInfo(zone), "en") == expected
