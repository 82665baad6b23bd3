"""The results table: one row per metric with its target and verdict."""

from __future__ import annotations

from benchmarks.core import median, pct
from benchmarks.hang import hang_rows
from benchmarks.model import LATENCY_STEPS, Config, Results
from benchmarks.taps import tap_rows

# steps started by typing (a command, the SMS text); every other step is a press
TYPED_STEPS = ("/send", "text")


def _ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def table(cfg: Config, res: Results) -> tuple[str, bool]:
    rows: list[tuple[str, str, str, str, str, str]] = []
    ok_all = True

    def row(metric: str, echo: str, bot: str, ratio: float | None, target: str, ok: bool | None):
        nonlocal ok_all
        if ok is False:
            ok_all = False
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        rows.append((metric, echo, bot, "" if ratio is None else f"{ratio:.2f}x", target, verdict))

    se, sb = median(res.startup["echo"]), median(res.startup["bot"])
    row(
        "start-up to first getUpdates (median)",
        _ms(se),
        _ms(sb),
        sb / se,
        "<= 1.3x",
        sb <= 1.3 * se,
    )
    if res.startup.get("plain"):
        sp = median(res.startup["plain"])
        row(
            "start-up vs the plain echo (rate limiter only)",
            _ms(sp),
            _ms(sb),
            sb / sp,
            "(info)",
            None,
        )
    # each step against the echo's answer to the same kind of update: a typed text or
    # command against its reply, a press against the echo's answer to a press
    echo_p50: dict[str, float] = {}
    for kind, label in (("reply", "text -> reply"), ("press", "press -> answer")):
        samples = [a for a, _ in res.latency["echo"].get(kind) or []]
        if not samples:
            continue
        echo_p50[kind] = pct(samples, 50)
        row(
            f"latency: echo {label} p50 / p95 n={len(samples)}",
            f"{_ms(echo_p50[kind])} / {_ms(pct(samples, 95))}",
            "",
            None,
            "",
            None,
        )
    for step in ("/send", *LATENCY_STEPS, "book toggle", "books done", "save"):
        samples = res.latency["bot"].get(step) or []
        if not samples:
            continue
        kind = "reply" if step in TYPED_STEPS or "press" not in echo_p50 else "press"
        e50 = echo_p50[kind]
        first = [a for a, _ in samples]
        render = [b for _, b in samples]
        p50, p95 = pct(first, 50), pct(first, 95)
        row(
            f"latency: {step} p50/p95 (render p50) n={len(samples)}",
            f"{_ms(e50)} ({kind})",
            f"{_ms(p50)} / {_ms(p95)} ({_ms(pct(render, 50))})",
            p50 / e50,
            "p50 <= 1.25x",  # every conversation step (#23)
            p50 <= 1.25 * e50,
        )
    te, tb = res.throughput["echo"], res.throughput["bot"]
    row(
        f"throughput, {cfg.users} users (updates/s)",
        f"{te:.1f} ({res.updates['echo']})",
        f"{tb:.1f} ({res.updates['bot']})",
        tb / te,
        ">= 0.9x",
        tb >= 0.9 * te,
    )
    if "echo text" in res.throughput:
        tt = res.throughput["echo text"]
        row(
            "throughput vs the echo answering texts only",
            f"{tt:.1f} ({res.updates['echo text']})",
            f"{tb:.1f}",
            tb / tt,
            "(info)",
            None,
        )
    ce, cb = res.cpu_per_update["echo"], res.cpu_per_update["bot"]
    row(
        f"CPU time per update, over {len(res.cpu_rounds['bot'])} rounds each",
        _ms(ce),
        _ms(cb),
        cb / ce,
        "<= 1.6x",
        cb <= 1.6 * ce,
    )
    rounds = list(zip(res.cpu_rounds["echo"], res.cpu_rounds["bot"], strict=False))
    if len(rounds) > 1:
        row(
            "  each round, in turn (echo then bot)",
            " ".join(f"{e * 1000:.2f}" for e, _ in rounds),
            " ".join(f"{b * 1000:.2f}" for _, b in rounds),
            None,
            " ".join(f"{b / e:.2f}x" for e, b in rounds) + " (info)",
            None,
        )
    if "echo text" in res.cpu_per_update:
        ct = res.cpu_per_update["echo text"]
        row(
            "CPU time per update vs the echo answering texts only",
            _ms(ct),
            _ms(cb),
            cb / ct,
            "(info)",
            None,
        )
    me, mb = res.vmhwm_kb["echo"], res.vmhwm_kb["bot"]
    row(
        f"peak RSS VmHWM after the first load round ({cfg.users} users)",
        f"{me / 1024:.1f} MiB",
        f"{mb / 1024:.1f} MiB",
        mb / me,
        "<= 1.3x",
        mb <= 1.3 * me,
    )
    ae, ab = res.vmhwm_all_kb["echo"], res.vmhwm_all_kb["bot"]
    if (ae, ab) != (me, mb):
        row(
            f"  after every round (the bot: {cfg.users * cfg.load_rounds} admins' state)",
            f"{ae / 1024:.1f} MiB",
            f"{ab / 1024:.1f} MiB",
            ab / ae,
            "(info)",
            None,
        )
    if "plain" in res.vmhwm_kb:
        mp = res.vmhwm_kb["plain"]
        row(
            "peak RSS vs the plain echo (rate limiter only)",
            f"{mp / 1024:.1f} MiB",
            f"{mb / 1024:.1f} MiB",
            mb / mp,
            "(info)",
            None,
        )
    bare, path = pct(res.bare_post, 50), pct(res.send_path, 50)
    row(
        f"send path p50: approve -> POST (n={len(res.send_path)})",
        f"bare POST {_ms(bare)}",
        f"{_ms(path)} (max {_ms(max(res.send_path))})",
        None,
        "<= +5 ms",
        path - bare <= 0.005,
    )
    for name in (
        "phonebooks: first page",
        "phonebooks: page turn",
        "contacts: first page",
        "contacts: page turn",
    ):
        views = res.scale.get(name) or []
        lat = [a for a, _ in views]
        calls = [c for _, c in views]
        row(
            f"scale {cfg.phonebooks:,} books: {name} p50 (n={len(views)})",
            "",
            f"{_ms(pct(lat, 50))}, calls/view {calls}",
            None,
            "1 call/view",
            bool(calls) and all(c == 1 for c in calls),
        )
    if res.taps is not None:
        for metric, value, _, target, ok in tap_rows(res.taps):
            row(metric, "", value, None, target, ok)
    if res.flood["burst"]:
        metric, idle, burst, ratio, target, ok = flood_row(cfg, res)
        row(metric, idle, burst, ratio, target, ok)
    if res.hang["help hang"]:
        for metric, idle, hung, ratio, target, ok in hang_rows(res):
            row(metric, idle, hung, ratio, target, ok)
    headers = ("metric", "echo bot", "this bot", "ratio", "target", "")
    widths = [max(len(r[i]) for r in (*rows, headers)) for i in range(6)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    if res.taps is not None:
        lines += ["", *(f"{metric}: {detail}" for metric, _, detail, _, _ in tap_rows(res.taps))]
    return "\n".join(lines), ok_all


def flood_row(cfg: Config, res: Results) -> tuple[str, str, str, float, str, bool]:
    idle, burst = pct(res.flood["idle"], 50), pct(res.flood["burst"], 50)
    behind = pct(res.flood["behind"], 50)
    return (
        f"admin /help p50 during a {cfg.flood_strangers}-stranger burst "
        f"(n={len(res.flood['burst'])}) vs idle (n={len(res.flood['idle'])})",
        f"idle {_ms(idle)}",
        f"{_ms(burst)} (max {_ms(max(res.flood['burst']))}; "
        f"queued behind all {cfg.flood_strangers}: {_ms(behind)})",
        burst / idle,
        "p50 <= 2x",
        burst <= 2 * idle,
    )
