"""The benchmark knobs (:class:`Config`) and what a run collects (:class:`Results`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from benchmarks.taps import TapCounts


@dataclass
class Config:
    startup_runs: int = 3
    echo_latency_samples: int = 40
    echo_latency_drafts: int = 8  # 64 presses, 16 more texts
    bot_latency_drafts: int = 16  # n per step: a p50 of 8 moved ~0.3 ms from run to run
    users: int = 50  # throughput: concurrent admins / echo users
    drafts_per_admin: int = 1
    # throughput/CPU rounds, the echo's and the bot's in turn: one round's CPU-per-update
    # ratio moved 1.60-2.02x between quiet runs, a machine that drifts moves both alike
    load_rounds: int = 3
    scale_page_turns: int = 6
    send_samples: int = 9  # a p50 of 3 moved +3.8 to +5.8 ms between runs
    bare_post_samples: int = 10
    phonebooks: int = 10_000
    contacts_per_book: int = 10
    pace: float = 0.06  # latency runs: at most ~16 updates/s
    step_timeout: float = 30.0
    flood_strangers: int = 600
    flood_rounds: int = 5
    flood_idle_samples: int = 15
    hang_help_samples: int = 30  # /help samples during the 30 s hang, and idle before and after
    hang_approvals: int = 5  # approvals idle, and during the hang


LATENCY_STEPS = ("sender", "page turn", "text", "time", "review")
ADMIN_BASE = 7001
KEY = "sandbox-key"


@dataclass
class Results:
    startup: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # name -> step -> [(first answer, render)]
    latency: dict[str, dict[str, list[tuple[float, float]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    throughput: dict[str, float] = field(default_factory=dict)
    cpu_per_update: dict[str, float] = field(default_factory=dict)
    # each round's CPU per update (s), and the totals the two figures above are made of
    cpu_rounds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    load_cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    load_time: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    # peak RSS after the first load round (50 admins, as the target is set), and after all
    vmhwm_kb: dict[str, int] = field(default_factory=dict)
    vmhwm_all_kb: dict[str, int] = field(default_factory=dict)
    updates: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    send_path: list[float] = field(default_factory=list)
    bare_post: list[float] = field(default_factory=list)
    scale: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    # an admin's /help: "idle" and "burst" (behind a burst of stranger messages)
    flood: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    taps: TapCounts | None = None
    # another admin while one admin's provider call hangs: "help idle", "help hang",
    # "approve idle", "approve hang"
    hang: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    hang_within: bool = False  # every "hang" sample was taken while the call still hung
