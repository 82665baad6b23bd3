"""Stage 1, submit: a draft is checked (complete, a readable key, a credit not known
to be short) before any approver is asked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import replace
from datetime import datetime

from bot.broadcasts.base import Deps
from bot.broadcasts.model import MoneyCheck, SubmitResult
from bot.broadcasts.rules import (
    brief_of,
    message_too_long,
    missing_step,
    money_detail,
    recipients_total,
)
from bot.domain import Draft, Snapshot, Step
from bot.guardrails.budget import BudgetCheck, check_request

log = logging.getLogger("bot.broadcasts")


class Submitter:
    """Stage 1, submit: a draft is checked (complete, a readable key, a credit not known
    to be short) and becomes a pending request."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def submit(self, draft: Draft, requester_id: int) -> SubmitResult:
        """Check a draft before anyone is asked to approve it: ready, a readable key, and
        a credit not known to be short. The money checks cost two reads at the provider
        here, at submit time, so the approve→POST path stays as short as it was."""
        if draft.owner_id != requester_id or not self._deps.policy.may_request(requester_id):
            return SubmitResult("not_allowed")
        now = self._deps.clock()
        step = self.check_ready(draft, now)
        if step is not None:
            return SubmitResult("incomplete", missing_step=step)
        others = sorted(self._deps.policy.approvers - {requester_id})
        if self._deps.policy.approvals_required and not others:
            return SubmitResult("no_approver")
        api_key = await self._deps.key_or_none(requester_id)
        if api_key is None:
            return SubmitResult("no_key")
        snapshot = draft.snapshot(self._deps.policy.message_suffix)
        money = await self.money_check(api_key, snapshot)
        if money.known_short is not None:
            await self._deps.audit(
                requester_id, "submit_refused_credit", f"draft:{draft.id}", money_detail(money)
            )
            return SubmitResult("short_credit", money=money)
        budget = await self.budget_check(snapshot, money, now)
        if budget is not None and budget.crosses and self._deps.policy.budget_hard:
            detail = {**money_detail(money), "over_by": budget.over_by, "budget": budget.budget}
            await self._deps.audit(
                requester_id, "submit_refused_budget", f"draft:{draft.id}", detail
            )
            return SubmitResult("over_budget", money=money, budget=budget)
        if not self._deps.policy.approvals_required:
            return SubmitResult("direct", money=money, budget=budget)
        # The rule is judged on cost_high: the operator split is unknown until the send, and
        # a money guard must look at the most it may cost. An unknown price (provider down)
        # applies the strictest cost rule (see ApprovalRules.needed).
        rules = self._deps.policy.approval_rules
        requirement = rules.needed(recipients_total(snapshot), money.cost_high)
        if budget is not None and budget.crosses:
            # crossing the month's budget asks one approval more than the rule does
            requirement = dataclasses.replace(
                requirement, approvals=requirement.approvals + 1, over_budget=True
            )
        if requirement.approvals > len(others):
            return SubmitResult(
                "too_few_approvers", approvers=others, requirement=requirement, budget=budget
            )
        expires_at = now + self._deps.policy.approval_ttl
        if draft.send_at is not None:
            # approving after the scheduled time would send at the wrong moment
            expires_at = min(expires_at, draft.send_at)
        # the estimate the approver is shown becomes part of what is approved (and hashed)
        snapshot = replace(snapshot, cost_low=money.cost_low, cost_high=money.cost_high)
        request = await self._deps.store.create_request(
            draft,
            requester_id,
            snapshot,
            expires_at,
            approvals_needed=requirement.approvals,
            approval_rule=requirement.stored,
            cost_unknown=requirement.cost_unknown,
            money=money_detail(money),
        )
        detail = {"no": request.number, **brief_of(snapshot), **money_detail(money)}
        if requirement.stored is not None:
            detail |= {"approvals_needed": requirement.approvals, "rule": requirement.stored}
        await self._deps.audit(requester_id, "submitted", f"request:{request.id}", detail)
        return SubmitResult(
            "pending",
            request=request,
            approvers=others,
            money=money,
            requirement=requirement,
            budget=budget,
        )

    async def budget_check(
        self, snapshot: Snapshot, money: MoneyCheck, now: datetime
    ) -> BudgetCheck | None:
        """The month's budget with this request (None: no budget set). Judged on cost_high,
        like the rules: the most it may cost."""
        policy = self._deps.policy
        if policy.monthly_budget is None:
            return None
        cost = money.cost_high
        return await check_request(
            self._deps.store, policy.monthly_budget, snapshot, cost, now, policy.timezone
        )

    async def money_check(self, api_key: str, snapshot: Snapshot) -> MoneyCheck:
        """Price and credit, asked at once; a provider problem leaves that part unknown
        (the approver's card says so) rather than blocking the request."""
        price, credit = await asyncio.gather(
            self._deps.client.calculate_price(
                api_key, sender=snapshot.sender or "", message=snapshot.message
            ),
            self._deps.client.credit(api_key),
            return_exceptions=True,
        )
        check: dict[str, float | None] = {}
        recipients = recipients_total(snapshot)
        if isinstance(price, BaseException):
            log.info("price unknown at submit: %r", price)
        else:
            check["cost_low"] = min(price.mci_price, price.other_price) * recipients
            check["cost_high"] = max(price.mci_price, price.other_price) * recipients
        if isinstance(credit, BaseException):
            log.info("credit unknown at submit: %r", credit)
        else:
            check["credit"] = credit.credit
        return MoneyCheck(**check)

    def check_ready(self, draft: Draft, now: datetime) -> Step | None:
        step = missing_step(draft, now)
        suffix = self._deps.policy.message_suffix
        if step is None and message_too_long(draft.snapshot(suffix).message):
            return Step.TEXT
        return step
