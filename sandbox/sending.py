"""Sending: ``send/calculate-price``, ``send`` (phonebook params or ``webservice`` explicit
numbers, credit, scheduling) and ``send/cancel`` (404 ``404-1`` when not found or no longer
cancellable).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.sms import measure
from sandbox.http import (
    ApiFailure,
    Area,
    envelope,
    invalid,
    json_response,
)
from sandbox.seed import (
    CANCEL_WINDOW,
    MAX_PARAMS,
    MSG_MESSAGE_REQUIRED,
    MSG_NO_CREDIT,
    MSG_NOT_CANCELLABLE,
    MSG_PHONEBOOK_NOT_FOUND,
    PRICE_PER_PART_MCI,
    PRICE_PER_PART_OTHER,
    PhonebookInfo,
    SandboxSend,
)

# a recipient is a phone (8+ digits); seed.E164 also admits short sender lines like +981000
RECIPIENT_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


class SendingApi(Area):
    """Sending: ``send/calculate-price``, ``send`` (phonebook params, credit, scheduling) and"""

    def price_of(self, message: str) -> tuple[int, int, int]:
        parts = max(1, measure(message).parts)
        return PRICE_PER_PART_MCI * parts, PRICE_PER_PART_OTHER * parts, parts

    async def calculate_price(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        data = await self.body(request)
        number = data.get("number")
        message = data.get("message")
        if not number:
            raise invalid("number", "تکمیل گزینه شماره الزامی است")
        if number not in acc.lines:
            raise invalid("number", "شماره فرستنده معتبر نیست")
        if not isinstance(message, str) or not message.strip():
            raise invalid("message", MSG_MESSAGE_REQUIRED)
        mci, other, parts = self.price_of(message)
        return json_response(envelope({"mci_price": mci, "other_price": other, "parts": parts}))

    def resolve_recipients(self, params: Any) -> list[tuple[PhonebookInfo, list[int] | range]]:
        if not isinstance(params, list) or not params:
            raise invalid("params", "تکمیل گزینه params الزامی است")
        if len(params) > MAX_PARAMS:
            raise invalid("params", f"تعداد params نباید بیشتر از {MAX_PARAMS} باشد")
        chosen: list[tuple[PhonebookInfo, list[int] | range]] = []
        missing = False
        for i, entry in enumerate(params):
            key = f"params.{i}"
            if not isinstance(entry, dict) or entry.get("type") not in ("all", "detail"):
                raise invalid(f"{key}.type", "نوع انتخاب نامعتبر است")
            if entry["type"] == "all":
                ids = entry.get("phonebook_ids")
                if not isinstance(ids, list) or not ids:
                    raise invalid(f"{key}.phonebook_ids", "تکمیل گزینه phonebook_ids الزامی است")
                start = entry.get("start")
                size = entry.get("size")
                for name, value in (("start", start), ("size", size)):
                    if value is not None and (not str(value).isdigit() or int(str(value)) < 1):
                        raise invalid(f"{key}.{name}", f"مقدار {name} باید عدد مثبت باشد")
                for book_id in ids:
                    book = self.state.phonebooks.get(str(book_id))
                    if book is None:
                        missing = True
                        continue
                    first = int(start) - 1 if start is not None else 0
                    last = first + int(size) if size is not None else book.count
                    chosen.append((book, range(first, min(last, book.count))))
            else:
                book_id = entry.get("phonebook_id")
                ids = entry.get("number_ids")
                if not book_id:
                    raise invalid(f"{key}.phonebook_id", "تکمیل گزینه phonebook_id الزامی است")
                if not isinstance(ids, list) or not ids:
                    raise invalid(f"{key}.number_ids", "تکمیل گزینه number_ids الزامی است")
                book = self.state.phonebooks.get(str(book_id))
                if book is None:
                    missing = True
                    continue
                rows = [self.state.contact_index(book, cid) for cid in ids]
                if any(row is None for row in rows):
                    raise invalid(
                        f"{key}.number_ids", "برخی مخاطبان انتخاب‌شده در این دفترچه تلفن نیستند"
                    )
                chosen.append((book, [row for row in rows if row is not None]))
        if missing:
            raise ApiFailure(404, MSG_PHONEBOOK_NOT_FOUND, "404-1")
        return chosen

    def resolve_numbers(self, params: Any) -> list[str]:
        """``webservice`` params: ``{"recipients": [E.164, ...]}`` (the docs' only shape)."""
        recipients = params.get("recipients") if isinstance(params, dict) else None
        if not isinstance(recipients, list) or not recipients:
            raise invalid("params.recipients", "تکمیل گزینه recipients الزامی است")
        if any(not isinstance(r, str) or not RECIPIENT_E164.match(r) for r in recipients):
            raise invalid("params.recipients", "شمارهٔ گیرنده باید به شکل +98912… باشد")
        return list(recipients)

    async def send(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        data = await self.body(request)
        if acc.send_block:
            raise ApiFailure(422, "امکان ارسال برای این حساب مسدود شده است", "400-2")
        sending_type = data.get("sending_type")
        if sending_type not in ("phonebook", "webservice"):
            raise invalid("sending_type", "نوع ارسال نامعتبر است")
        from_number = data.get("from_number")
        if not from_number:
            raise invalid("from_number", "تکمیل گزینه شماره فرستنده الزامی است")
        if from_number not in acc.lines:
            raise invalid("from_number", "شماره فرستنده متعلق به این حساب نیست")
        message = data.get("message")
        if not isinstance(message, str) or not message.strip():
            raise invalid("message", MSG_MESSAGE_REQUIRED)
        length = measure(message)
        if length.chars > 1400 or length.parts > 20:
            raise invalid("message", "متن پیام نباید بیشتر از ۱۴۰۰ نویسه یا ۲۰ بخش باشد")
        send_time: datetime | None = None
        raw_time = data.get("send_time")
        if raw_time:
            try:
                send_time = datetime.strptime(str(raw_time), "%Y-%m-%d %H:%M:%S").replace(
                    tzinfo=UTC
                )
            except ValueError:
                raise invalid("send_time", "قالب زمان ارسال نادرست است") from None
            if send_time <= self.state.now():
                raise invalid("send_time", "زمان ارسال باید در آینده باشد")
        numbers: list[str] = []
        if sending_type == "webservice":
            numbers = self.resolve_numbers(data.get("params"))
        else:
            numbers = [
                self.state.number_at(book, row)
                for book, rows in self.resolve_recipients(data.get("params"))
                for row in rows
            ]
        mci = sum(1 for n in numbers if self.state.is_mci(n))
        other = len(numbers) - mci
        recipients = mci + other
        if recipients == 0:
            raise invalid("params", "هیچ گیرنده‌ای برای این ارسال پیدا نشد")
        mci_price, other_price, parts = self.price_of(message)
        cost = mci * mci_price + other * other_price
        short = cost > acc.credit
        if short and acc.when_short == "refuse":
            # The docs show no such refusal; its shape here is a guess (a 422 like
            # every documented validation failure), worded after self.state 8.
            raise ApiFailure(422, MSG_NO_CREDIT, "400-2", {"credit": [MSG_NO_CREDIT]})
        if not short:
            acc.credit -= cost
        outbox_id = self.state.next_outbox_id
        self.state.next_outbox_id += 1
        self.state.sends[outbox_id] = SandboxSend(
            outbox_id=outbox_id,
            account_key=acc.key,
            from_number=from_number,
            message=message,
            params=data.get("params") or [],
            recipients=recipients,
            mci=mci,
            other=other,
            parts=parts,
            cost=cost,
            created_at=self.state.now(),
            send_time=send_time,
            # accepted without the credit to pay for it: failed, as report self.state 8,
            # at once or after a while "sending"
            state_id=(8 if not acc.fail_after else 2) if short else 5 if send_time else 6,
            fails_at=self.state.now() + timedelta(seconds=acc.fail_after) if short else None,
            sending_type=sending_type,
            numbers=numbers if sending_type == "webservice" else [],
        )
        return json_response(envelope({"message_outbox_ids": [outbox_id]}))

    async def cancel(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        outbox_id = (await self.body(request)).get("message_outbox_id")
        if outbox_id is None:
            raise invalid("message_outbox_id", "تکمیل گزینه message_outbox_id الزامی است")
        # send/cancel-scheduled.md (Persian page): unknown, not scheduled, or closer
        # than 5 minutes to its time: all one 404 with 404-1
        not_cancellable = ApiFailure(404, MSG_NOT_CANCELLABLE, "404-1")
        try:
            target = self.find_send(acc, outbox_id)
        except ApiFailure:
            raise not_cancellable from None
        state_id = self.state.send_state(target)
        if target.send_time is None or state_id != 5:
            raise not_cancellable
        if target.send_time - self.state.now() < CANCEL_WINDOW:
            raise not_cancellable
        target.state_id = 7
        acc.credit += target.cost
        return json_response(envelope(None))  # the documented success has data: null
