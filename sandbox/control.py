"""The ``/__sandbox/*`` control endpoints (no auth), for tests that run the bot as a
subprocess: faults, reset, the request log, sends, credit and the clock.
"""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from sandbox.http import Area, json_response
from sandbox.seed import DEFAULT_KEY


class ControlApi(Area):
    """The ``/__sandbox/*`` control endpoints (no auth), for tests that run the bot as a"""

    async def ctl_faults(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            self.state.fail_next(
                str(data["path"]),
                str(data["mode"]),
                times=int(data.get("times", 1)),
                delay=float(data.get("delay", 60.0)),
                status=int(data["status"]) if data.get("status") else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"ok": False, "error": str(exc)}, status=400)
        return json_response({"ok": True, "faults": [asdict(f) for f in self.state.faults]})

    async def ctl_reset(self, request: web.Request) -> web.Response:
        self.state.reset()
        return json_response({"ok": True})

    async def ctl_requests(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "requests": [rec.to_dict() for rec in self.state.requests],
                "send_posts": self.state.send_post_count,
            }
        )

    async def ctl_sends(self, request: web.Request) -> web.Response:
        return json_response({"sends": [s.to_dict() for s in self.state.sends.values()]})

    async def ctl_credit(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            self.state.set_credit(
                str(data.get("key", DEFAULT_KEY)),
                int(data["credit"]),
                data.get("when_short"),
                float(data["fail_after"]) if data.get("fail_after") is not None else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"ok": False, "error": str(exc)}, status=400)
        return json_response({"ok": True})

    async def ctl_clock(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            self.state.advance(float(data.get("advance", 0)))
        except (ValueError, TypeError) as exc:
            return json_response({"ok": False, "error": str(exc)}, status=400)
        return json_response({"ok": True, "now": self.state.now().isoformat()})
