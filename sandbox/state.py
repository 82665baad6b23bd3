"""Everything the sandbox panel knows: accounts and keys, phonebooks (contacts generated
lazily from the seed), accepted sends, the request log, fault switches and its clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.seed import (
    CREDIT_MODES,
    DEFAULT_KEY,
    FAULT_MODES,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    LAST_NAMES,
    MOBILE_PREFIXES,
    PHONEBOOK_TITLES,
    SENDER_LINES,
    SHORT_KEY,
    AccountInfo,
    Fault,
    PhonebookInfo,
    RequestRecord,
    SandboxSend,
    SenderLineInfo,
    mix,
)


class SandboxState:
    """All data of the fake panel, its fault switches and its request log."""

    def __init__(
        self,
        *,
        seed: int = 1,
        phonebooks: int = 12,
        contacts_per_book: int = 25,
        credit: int = 50_000_000,
        failed_share: dict[str, float] | None = None,
    ) -> None:
        self.seed = seed
        # the share of each operator's numbers a finished send reports failed ("mci": 0.5);
        # unset operators keep the usual 5 %. For follow-up tests (#22).
        self.failed_share: dict[str, float] = dict(failed_share or {})
        self.n_phonebooks = phonebooks
        self.contacts_per_book = contacts_per_book
        self.initial_credit = credit
        self.requests: list[RequestRecord] = []
        self.send_posts: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self.clock_offset = timedelta(0)
        self._stopping = asyncio.Event()
        self.reset()

    # ------------------------------------------------------------- seeding

    def reset(self) -> None:
        """Back to the seeded state: data, sends, request log, faults, clock."""
        self.requests.clear()
        self.send_posts.clear()
        self.faults.clear()
        self.clock_offset = timedelta(0)
        self.lines: dict[str, SenderLineInfo] = {ln.number: ln for ln in SENDER_LINES}
        all_lines = [ln.number for ln in SENDER_LINES]
        self.accounts: dict[str, AccountInfo] = {
            DEFAULT_KEY: AccountInfo(
                DEFAULT_KEY,
                "sandbox",
                "1001",
                "شرکت نمونه تهران",
                all_lines[:3],
                self.initial_credit,
            ),
            "sandbox-key-2": AccountInfo(
                "sandbox-key-2",
                "pars_trade",
                "1002",
                "بازرگانی پارس",
                [all_lines[0], all_lines[3]],
                self.initial_credit,
            ),
            "sandbox-key-3": AccountInfo(
                "sandbox-key-3", "aftab_shop", "1003", "فروشگاه آفتاب", [all_lines[3]], 200_000
            ),
            "sandbox-key-blocked": AccountInfo(
                "sandbox-key-blocked",
                "blocked_co",
                "1004",
                "شرکت مسدود",
                [all_lines[0]],
                self.initial_credit,
                send_block=True,
            ),
            SHORT_KEY: AccountInfo(
                SHORT_KEY,
                "short_line_co",
                "1005",
                "شرکت خط کوتاه",
                ["+981000"],
                self.initial_credit,
            ),
        }
        self.phonebooks: dict[str, PhonebookInfo] = {}
        for i in range(self.n_phonebooks):
            base = PHONEBOOK_TITLES[i % len(PHONEBOOK_TITLES)]
            round_ = i // len(PHONEBOOK_TITLES)
            title = base if self.n_phonebooks <= len(PHONEBOOK_TITLES) else f"{base} {round_ + 1}"
            book_id = str(120000 + i)
            self.phonebooks[book_id] = PhonebookInfo(book_id, title, self.contacts_per_book)
        self.sends: dict[int, SandboxSend] = {}
        self.next_outbox_id = 1_148_303_001

    def add_phonebook(
        self,
        title: str,
        *,
        count: int | None = None,
        numbers: list[str] | list[tuple[str, str]] | None = None,
    ) -> PhonebookInfo:
        """Add a phonebook: ``count`` generated contacts, or explicit ``numbers``."""
        book_id = str(120000 + len(self.phonebooks) + 50_000)
        while book_id in self.phonebooks:
            book_id = str(int(book_id) + 1)
        explicit = None
        if numbers is not None:
            explicit = [(n, "") if isinstance(n, str) else (n[0], n[1]) for n in numbers]
            count = len(explicit)
        book = PhonebookInfo(book_id, title, count or 0, explicit)
        self.phonebooks[book_id] = book
        return book

    # ---------------------------------------------------------- contacts

    def contact(self, book: PhonebookInfo, index: int) -> dict[str, Any]:
        """Contact ``index`` (0-based) of ``book``; deterministic, built on demand."""
        contact_id = str(int(book.id) * 100_000 + index + 1)
        if book.numbers is not None:
            number, name = book.numbers[index]
            pre, email = None, None
        else:
            number = self.number_at(book, index)
            h = mix(self.seed, int(book.id), index, 7)
            female = h & 1
            first = (FIRST_NAMES_F if female else FIRST_NAMES_M)[(h >> 1) % 10]
            last = LAST_NAMES[(h >> 8) % len(LAST_NAMES)]
            name = f"{first} {last}"
            pre = "خانم" if female else "آقای"
            email = f"c{contact_id}@example.ir" if (h >> 16) % 3 == 0 else None
        return {
            "id": contact_id,
            "number": number,
            "name": name,
            "pre": pre,
            "email": email,
            "phonebook_id": book.id,
            "phonebook_title": book.title,
        }

    def number_at(self, book: PhonebookInfo, index: int) -> str:
        if book.numbers is not None:
            return book.numbers[index][0]
        h = mix(self.seed, int(book.id), index)
        prefix = MOBILE_PREFIXES[h % len(MOBILE_PREFIXES)]
        return f"+98{prefix}{(h // 97) % 10_000_000:07d}"

    def contact_index(self, book: PhonebookInfo, contact_id: Any) -> int | None:
        """The 0-based row of ``contact_id`` in ``book``, or None when not there."""
        try:
            value = int(str(contact_id))
        except ValueError:
            return None
        if value // 100_000 != int(book.id):
            return None
        index = value % 100_000 - 1
        return index if 0 <= index < book.count else None

    @staticmethod
    def is_mci(number: str) -> bool:
        return number.startswith(("+9891", "+98990", "+98991", "+98992", "+98993", "+98994"))

    # ------------------------------------------------------- controls

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (for the cancel window, schedules)."""
        self.clock_offset += timedelta(seconds=seconds)

    def set_credit(
        self,
        key: str,
        credit: int,
        when_short: str | None = None,
        fail_after: float | None = None,
    ) -> None:
        """Set an account's credit and, optionally, what a send it cannot pay gets
        (``fail_after``: seconds an accepted one shows "sending" before state 8)."""
        if when_short is not None and when_short not in CREDIT_MODES:
            raise ValueError(f"unknown when_short {when_short!r}; one of {sorted(CREDIT_MODES)}")
        self.accounts[key].credit = int(credit)
        if when_short is not None:
            self.accounts[key].when_short = when_short
        if fail_after is not None:
            self.accounts[key].fail_after = float(fail_after)

    def fail_next(
        self,
        path_suffix: str,
        mode: str,
        times: int = 1,
        delay: float = 60.0,
        status: int | None = None,
        skip: int = 0,
    ) -> None:
        """Make the next ``times`` requests whose path ends with ``path_suffix`` fail,
        after letting ``skip`` of them through (e.g. the third POST of a gradual plan)."""
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {sorted(FAULT_MODES)}")
        self.faults.append(
            Fault(path_suffix.rstrip("/"), mode, max(1, int(times)), delay, status, max(0, skip))
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if path.rstrip("/").endswith(fault.path_suffix):
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @property
    def send_post_count(self) -> int:
        return len(self.send_posts)

    def requests_to(self, path_suffix: str, method: str | None = None) -> list[RequestRecord]:
        return [
            r
            for r in self.requests
            if r.path.endswith(path_suffix) and (method is None or r.method == method)
        ]

    async def sleep(self, seconds: float) -> bool:
        """Sleep unless the sandbox is stopping; True when it slept the whole time."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    # ------------------------------------------------------------- sends

    def send_state(self, send: SandboxSend) -> int:
        if send.fails_at is not None and send.state_id == 2 and send.fails_at <= self.now():
            send.state_id = 8
        if send.state_id == 5 and (send.send_time is None or send.send_time <= self.now()):
            send.state_id = 6
        return send.state_id

    def sends_of(self, key: str) -> list[SandboxSend]:
        return [s for s in self.sends.values() if s.account_key == key]
