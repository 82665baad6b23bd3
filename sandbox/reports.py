"""Reports: ``report/by_bulk``, ``report/bulk_stats`` and ``report/new_list`` (filters are
strings, as documented).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sms import measure
from sandbox.http import (
    Area,
    envelope,
    int_arg,
    invalid,
    json_response,
    paginate,
    ts,
)
from sandbox.seed import MAX_PER_PAGE, STATES, SandboxSend


class ReportsApi(Area):
    """Reports: ``report/by_bulk``, ``report/bulk_stats`` and ``report/new_list`` (filters are"""

    def report_row(self, s: SandboxSend) -> dict[str, Any]:
        state_id = self.state.send_state(s)
        name, status = STATES[state_id]
        acc = self.state.accounts[s.account_key]
        line = self.state.lines.get(s.from_number)
        exit_count = s.recipients if state_id == 6 else 0  # self.state 8: nothing went out
        return {
            "username": acc.user_name,
            "number_color": None,
            "number": s.from_number,
            "number_id": line.id if line else None,
            "messages_outbox_id": str(s.outbox_id),
            "state": name,
            "type": "phonebook",
            "time_send": ts(s.send_time or s.created_at),
            "time": ts(s.created_at),
            "rcpts_count": str(s.recipients),
            "exit_count": str(exit_count),
            "status": status,
            "message": s.message,
            "part": str(s.parts),
            "cost": s.cost,
            "state_id": state_id,
        }

    async def by_bulk(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        outbox_id = await self.arg(request, "messages_outbox_id")
        if not outbox_id:
            raise invalid("messages_outbox_id", "تکمیل گزینه messages_outbox_id الزامی است")
        return json_response(envelope(self.report_row(self.find_send(acc, outbox_id))))

    async def bulk_stats(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        bulk_id = await self.arg(request, "bulk_id")
        if not bulk_id:
            raise invalid("bulk_id", "تکمیل گزینه bulk_id الزامی است")
        s = self.find_send(acc, bulk_id)
        state_id = self.state.send_state(s)
        lang = "en" if measure(s.message).encoding == "GSM-7" else "fa"
        counts: dict[str, dict[str, int]] = {}
        for op, n in (("mci", s.mci), ("irancell", s.other)):
            if state_id == 6:
                blacklist = n // 50
                share = self.state.failed_share.get(op)
                failed = n // 20 if share is None else round(n * share)
                pending = n // 25 if share is None else 0
                blacklist = blacklist if share is None else 0
                delivered = n - blacklist - failed - pending
                counts[op] = {
                    "sent": n - blacklist,
                    "delivered": delivered,
                    "failed": failed,
                    "pending": pending,
                    "blacklist": blacklist,
                }
            else:
                pending = n if state_id == 5 else 0
                counts[op] = dict.fromkeys(("sent", "delivered", "failed", "blacklist"), 0)
                counts[op]["pending"] = pending
        data = {
            f"operators_{kind}": {
                op: {
                    "en": counts[op][kind] if lang == "en" else 0,
                    "fa": counts[op][kind] if lang == "fa" else 0,
                }
                for op in ("irancell", "mci")
            }
            for kind in ("blacklist", "failed", "pending", "sent", "delivered")
        }
        return json_response(envelope(data))

    async def new_list(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        data = await self.body(request)
        page = int_arg(data.get("page"), "page", 1)
        limit = int_arg(data.get("limit"), "limit", 10, maximum=MAX_PER_PAGE)
        filters = data.get("filters") or {}
        if not isinstance(filters, dict):
            raise invalid("filters", "قالب filters نادرست است")
        rows = sorted(self.state.sends_of(acc.key), key=lambda s: s.outbox_id, reverse=True)
        if filters.get("messages_outbox_id"):
            rows = [s for s in rows if str(s.outbox_id) == str(filters["messages_outbox_id"])]
        number = filters.get("number") or filters.get("from_number")
        if number:
            rows = [s for s in rows if s.from_number == str(number)]
        if filters.get("message"):
            rows = [s for s in rows if str(filters["message"]) in s.message]
        for name in ("create_from_date", "create_to_date", "send_from_date", "send_to_date"):
            if filters.get(name) in (None, ""):
                continue
            # Typed "string" in report/outbox-report.md (unix seconds, "1744102007").
            # What the real panel does with a JSON number is undocumented; the
            # sandbox refuses it like a string validation rule would, so a client
            # that sends the wrong type finds out here rather than in production.
            if not isinstance(filters[name], str):
                raise invalid(f"filters.{name}", f"مقدار filters.{name} باید رشته باشد")
            try:
                bound = int(filters[name])
            except ValueError:
                raise invalid(f"filters.{name}", "زمان باید برچسب زمانی یونیکس باشد") from None
            if name == "send_from_date":
                rows = [s for s in rows if (s.send_time or s.created_at).timestamp() >= bound]
                continue
            if name == "send_to_date":
                rows = [s for s in rows if (s.send_time or s.created_at).timestamp() <= bound]
                continue
            if name == "create_from_date":
                rows = [s for s in rows if s.created_at.timestamp() >= bound]
            else:
                rows = [s for s in rows if s.created_at.timestamp() <= bound]
        if filters.get("state_id") not in (None, ""):
            rows = [s for s in rows if str(self.state.send_state(s)) == str(filters["state_id"])]
        items, meta = paginate(rows, page, limit, "/api/report/new_list")
        return json_response(envelope([self.report_row(s) for s in items], extra_meta=meta))
