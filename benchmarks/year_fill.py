"""A year of a busy team's use, written through the store's own API (no hand-made SQL).

At ``scale=1``: 20 admins, 10,000 broadcasts of which 300 are gradual plans (5 batches
each), 1,000,000 audit rows, 50,000 drafts, 5,000 test SMS, an approver card per admin per
request. ``scale`` multiplies every count (the ratios stay); the clock walks through the
year ending now, so windows ("the last 6 hours", "older than 90 days") see what they
would after a year. Outcomes are mixed as in life: mostly sent, some rejected, expired,
failed, unknown (given up), a few pending at the end. Pruning runs as the hourly job would
have (the filled file is what a year leaves, not what it would be without the job).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot.domain import Broadcast, BroadcastState, PhonebookSelection, RequestState, TrialSend
from storage import Store

YEAR = timedelta(days=365)
FIRST_ADMIN = 9001
ADMINS = 20
BROADCASTS = 10_000
PLANS = 300
BATCHES = 5
AUDIT_ROWS = 1_000_000
DRAFTS = 50_000
TEST_SMS = 5_000
KEY = "sandbox-key"

_TEXT = "تخفیف ویژهٔ پاییزه: تا پایان هفته همهٔ محصولات با ۲۰٪ تخفیف. برای لغو ۱۱ را بفرستید."


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Filled:
    broadcasts: int = 0
    requests: int = 0
    audit: int = 0
    drafts: int = 0
    trials: int = 0


def admins() -> list[int]:
    return [FIRST_ADMIN + i for i in range(ADMINS)]


def _selections(rng: random.Random) -> list[PhonebookSelection]:
    return [
        PhonebookSelection(f"pb-{rng.randrange(10_000)}", f"دفترچه {i}", rng.randrange(50, 5000))
        for i in range(rng.randrange(1, 4))
    ]


async def fill(
    store: Store,
    clock: Clock,
    *,
    scale: float = 1.0,
    seed: int = 23,
    only_last: timedelta | None = None,
) -> Filled:
    """Fill ``store`` (its clock is ``clock``) with a year ending at ``clock.now``;
    ``only_last``: just that last part of the year (the same pace, no history)."""
    rng = random.Random(seed)
    end = clock.now
    start = end - YEAR
    people = admins()
    n_broadcasts = int(BROADCASTS * scale)  # 0: the admins and their keys only
    n_plans = max(1, int(PLANS * scale)) if n_broadcasts else 0
    plan_at = set(rng.sample(range(n_broadcasts), n_plans))
    drafts_per = max(1, round(DRAFTS / BROADCASTS))
    audit_per = max(1, round(AUDIT_ROWS / BROADCASTS))
    trial_every = max(1, round(BROADCASTS / TEST_SMS))
    done = Filled()
    for uid in people:
        clock.now = start
        await store.save_api_key(uid, KEY, "تیم بازاریابی")
        await store.set_identity(uid, f"مدیر{uid}", f"admin{uid}")
    outbox = 10_000_000
    if not n_broadcasts:
        clock.now = end
        return done
    for i in range(n_broadcasts):
        clock.now = start + YEAR * (i / n_broadcasts)
        if only_last is not None and clock.now < end - only_last:
            continue
        requester = people[i % ADMINS]
        approver = people[(i * 7 + 3) % ADMINS]
        if approver == requester:
            approver = people[(i + 1) % ADMINS]
        # drafts: most are abandoned or superseded; one becomes the request
        draft = None
        for _ in range(drafts_per):
            draft = await store.create_draft(
                requester,
                sender="+983000505",
                sender_label="خط تبلیغاتی",
                selections=_selections(rng),
                text=_TEXT,
            )
            draft = await store.save_draft(draft)
            done.drafts += 1
        assert draft is not None
        if i % trial_every == 0:
            trial = await store.reserve_trial(
                owner_id=requester,
                draft_id=draft.id,
                draft_version=draft.version,
                content_hash=f"h{draft.id}",
                sender="+983000505",
                recipient="+989121234567",
                message=_TEXT,
                limit=3,
            )
            if isinstance(trial, TrialSend):  # else a rule refused it (e.g. the daily cap)
                outbox += 1
                await store.finish_trial(trial.id, "sent", outbox_ids=[outbox])
                done.trials += 1
        plan = i in plan_at
        if plan:  # gradual: five batches, 30 minutes apart, starting in an hour
            draft = replace(
                draft,
                selections=[PhonebookSelection("pb-7", "مشتریان", 2000)],  # one book a plan
                send_at=clock.now + timedelta(hours=1),
                plan={"batch": -(-draft.recipients() // BATCHES), "every": 30},
            )
        snapshot = draft.snapshot()
        assert not plan or snapshot.plan, "the year's plans must be plans the bot makes"
        request = await store.create_request(
            draft, requester, snapshot, clock.now + timedelta(hours=24)
        )
        done.requests += 1
        for a in people:
            if a != requester:
                await store.add_request_message(request.id, a, 1000 + i)
        await store.audit(requester, "submitted", f"request:{request.id}")
        fate = rng.random()
        at_end = i >= n_broadcasts - 3  # a few still pending when the year ends
        if at_end:
            continue
        if fate < 0.05:
            await store.decide_request(
                request.id, to_state=RequestState.REJECTED, decided_by=approver, reason="متن"
            )
            await store.audit(approver, "rejected", f"request:{request.id}")
            continue
        if fate < 0.08:
            await store.expire_requests(clock.now + timedelta(hours=25))
            continue
        clock.now += timedelta(minutes=rng.randrange(1, 120))
        await store.add_approval(request.id, approver, now=clock.now)
        await store.audit(approver, "approved", f"request:{request.id}")
        batches = range(1, len(snapshot.plan.batches) + 1) if snapshot.plan else (0,)
        for no in batches:
            b = await store.start_broadcast(
                request_id=request.id,
                requester_id=requester,
                approver_id=approver,
                snapshot=snapshot,
                batch_no=no,
                plan_key=f"r{request.id}" if plan else None,
            )
            assert isinstance(b, Broadcast)
            await store.audit(requester, "send_started", f"broadcast:{b.id}", {"attempt": 1})
            state = BroadcastState.SENT
            ids: list[int] | None = [outbox + 1]
            outbox += 1
            if fate > 0.995:
                state, ids = BroadcastState.UNKNOWN, None
            elif fate > 0.98:
                state, ids = BroadcastState.FAILED, None
            await store.finish_broadcast(b.id, state=state, outbox_ids=ids, error=None)
            await store.audit(requester, str(state), f"broadcast:{b.id}")
            if state == BroadcastState.SENT:
                await store.record_cost(b.id, requester, 1.5, snapshot.recipients, clock.now)
            done.broadcasts += 1
        if fate <= 0.98:  # sent: its follow-up, scheduled and told as the 30 s job does
            key = f"r{request.id}" if plan else f"b{b.id}"
            await store.schedule_follow_up(key, b.number, clock.now + timedelta(hours=1))
            await store.settle_follow_up(key, "sent")
        # the rest of the audit: refused presses, saved texts, key and phone changes...
        for k in range(audit_per - 4):
            await store.audit(
                people[(i + k) % ADMINS],
                ("refused_not_allowed", "text_saved", "test_phone_registered")[k % 3],
                f"chat:{i * 100 + k}" if k % 3 == 0 else None,
            )
        done.audit += audit_per
        if i % 500 == 0:
            await store.prune(clock.now)  # the hourly job, as it would have run
    clock.now = end
    await store.give_up_unknown(end - timedelta(days=2))
    await store.prune(end)
    while await store.vacuum_step(4096):
        pass
    await store.checkpoint()
    return done


def now_utc() -> datetime:
    return datetime.now(UTC)
