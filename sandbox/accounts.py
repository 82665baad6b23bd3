"""Account, sender lines and credit: ``check_token``, ``number/numbers``,
``payment/credit/mine``.
"""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from sandbox.http import (
    Area,
    envelope,
    int_arg,
    json_response,
    paginate,
)
from sandbox.seed import MAX_PER_PAGE


class AccountsApi(Area):
    """Account, sender lines and credit: ``check_token``, ``number/numbers``,"""

    async def check_token(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        return json_response(
            envelope(
                {
                    "user_name": acc.user_name,
                    "user_id": acc.user_id,
                    "name": acc.name,
                    "send_block": acc.send_block,
                    "document_block": acc.document_block,
                    "is_reseller": acc.is_reseller,
                }
            )
        )

    async def numbers(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        page = int_arg(await self.arg(request, "page"), "page", 1)
        per_page = int_arg(
            await self.arg(request, "per_page"), "per_page", 10, maximum=MAX_PER_PAGE
        )
        rows = [asdict(self.state.lines[n]) for n in acc.lines]
        items, _ = paginate(rows, page, per_page, "/api/number/numbers")
        # page/per_page are documented parameters, but the documented answer's meta
        # has no pagination fields (numbers/list-numbers.md): none here either
        return json_response(envelope(items))

    async def credit_mine(self, request: web.Request) -> web.Response:
        acc = self.account(request)
        return json_response(
            envelope(
                {
                    "credit": acc.credit,
                    "gift": 0,
                    "gift_expires_at": None,
                    "updated_at": self.state.now().strftime("%Y-%m-%d %H:%M:%S"),
                }
            )
        )
