"""Phonebooks and their contacts: ``phonebooks/list-new`` and
``phonebooks/numbers/contact-list`` (the ``number`` filter is E.164, as documented).
"""

from __future__ import annotations

import math

from aiohttp import web

from sandbox.http import (
    ApiFailure,
    Area,
    envelope,
    int_arg,
    json_response,
    paginate,
)
from sandbox.seed import E164, MAX_PER_PAGE, MSG_PHONEBOOK_NOT_FOUND, PhonebookInfo


class PhonebooksApi(Area):
    """Phonebooks and their contacts: ``phonebooks/list-new`` and"""

    async def phonebooks(self, request: web.Request) -> web.Response:
        self.account(request)
        page = int_arg(await self.arg(request, "page"), "page", 1)
        per_page = int_arg(
            await self.arg(request, "per_page"), "per_page", 10, maximum=MAX_PER_PAGE
        )
        title = await self.arg(request, "title")
        wanted_id = await self.arg(request, "id")
        books: list[PhonebookInfo] = list(self.state.phonebooks.values())
        if wanted_id:
            book = self.state.phonebooks.get(str(wanted_id))
            books = [book] if book else []
        if title:
            books = [b for b in books if str(title) in b.title]
        page_books, meta = paginate(books, page, per_page, "/api/phonebooks/list-new")
        items = [
            {"id": b.id, "title": b.title, "count": b.count, "options": []} for b in page_books
        ]
        return json_response(envelope(items, extra_meta=meta))

    async def contact_list(self, request: web.Request) -> web.Response:
        self.account(request)
        # phonebook_id is optional in the docs (phonebook/number/list-number.md):
        # without it the contacts of every phonebook are listed, book after book.
        book_id = await self.arg(request, "phonebook_id")
        if book_id:
            book = self.state.phonebooks.get(str(book_id))
            if book is None:
                raise ApiFailure(404, MSG_PHONEBOOK_NOT_FOUND, "404-1")
            books = [book]
        else:
            books = list(self.state.phonebooks.values())
        page = int_arg(await self.arg(request, "page"), "page", 1)
        per_page = int_arg(
            await self.arg(request, "per_page"), "per_page", 10, maximum=MAX_PER_PAGE
        )
        number = await self.arg(request, "number")
        start = (page - 1) * per_page
        picked: list[tuple[PhonebookInfo, int]] = []
        if number:
            # The filter is documented as E.164. Whether the real panel also matches
            # part of a number is not documented; the sandbox matches the whole
            # E.164 number only, so "0912…" or a fragment finds nothing here.
            needle = str(number).strip()
            hits = (
                [
                    (b, i)
                    for b in books
                    for i in range(b.count)
                    if self.state.number_at(b, i) == needle
                ]
                if E164.match(needle)
                else []
            )
            total = len(hits)
            picked = hits[start : start + per_page]
        else:
            total = sum(b.count for b in books)
            offset = start
            for b in books:  # contacts are generated lazily: never list them all
                if len(picked) >= per_page:
                    break
                if offset >= b.count:
                    offset -= b.count
                    continue
                upto = min(b.count, offset + per_page - len(picked))
                picked += [(b, i) for i in range(offset, upto)]
                offset = 0
        meta = {
            "current_page": page,
            "from": start + 1 if picked else None,
            "last_page": max(1, math.ceil(total / per_page)),
            "path": "/api/phonebooks/numbers/contact-list",
            "per_page": per_page,
            "to": start + len(picked) if picked else None,
            "total": total,
        }
        items = [self.state.contact(b, i) for b, i in picked]
        return json_response(envelope(items, extra_meta=meta))
