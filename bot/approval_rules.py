"""APPROVAL_RULES: how many distinct approvals a request needs, by its size and its cost.

    APPROVAL_RULES="recipients>=5000:2, cost>=20000000:2"

Each rule is ``recipients>=N:K`` or ``cost>=N:K`` (N a whole number of recipients or of
rials, K ≥ 1 approvals); rules are separated by commas, spaces are allowed, and an empty
setting means the default: one approval. When several rules match, the highest K wins.

Pure functions only: the config parses the setting once at start-up (a malformed rule
stops the bot there), the submit stage asks :meth:`ApprovalRules.needed` once per request
and stores the answer on it, so a later change of the setting never changes a pending
request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Measure = Literal["recipients", "cost"]

_RULE = re.compile(r"^\s*(recipients|cost)\s*>=\s*([0-9]+)\s*:\s*([0-9]+)\s*$")
# Far beyond any team; keeps a typo such as "cost>=20000000:20000000" from being accepted.
MAX_APPROVALS = 100


@dataclass(frozen=True)
class ApprovalRule:
    measure: Measure
    threshold: int  # recipients, or rials as the provider reports them
    approvals: int  # distinct approvers needed, the requester never counting

    def __str__(self) -> str:
        return f"{self.measure}>={self.threshold}:{self.approvals}"

    def matches(self, recipients: int, cost: float | None) -> bool:
        if self.measure == "recipients":
            return recipients >= self.threshold
        return cost is not None and cost >= self.threshold


BUDGET_MARK = "budget"  # in a stored approval_rule: one more approval for the month's budget


@dataclass(frozen=True)
class Requirement:
    """What a request needs, and why: the rule that set it (None: the default of one)."""

    approvals: int
    rule: ApprovalRule | None = None
    cost_unknown: bool = False  # the rule is the strictest cost rule: the price was unknown
    over_budget: bool = False  # one approval more: the request crosses the month's budget

    @property
    def stored(self) -> str | None:
        """How the requirement's reason is kept on the request (``approval_rule``)."""
        words = [str(self.rule)] if self.rule is not None else []
        return "+".join([*words, BUDGET_MARK] if self.over_budget else words) or None


@dataclass(frozen=True)
class ApprovalRules:
    rules: tuple[ApprovalRule, ...] = ()

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.rules)

    @property
    def most(self) -> int:
        """The largest number of approvals any rule asks for (1 without rules)."""
        return max((r.approvals for r in self.rules), default=1)

    def needed(self, recipients: int, cost: float | None) -> Requirement:
        """The approvals a request of this size and cost needs: the highest matching K.

        ``cost`` is None when the provider could not price the send (it was down at
        submit). Then every cost rule is treated as matching, so the strictest one
        applies: an unknown cost must never be the way around a second approval.
        """
        best = Requirement(1)
        for rule in self.rules:
            unknown = rule.measure == "cost" and cost is None
            if not (unknown or rule.matches(recipients, cost)):
                continue
            if rule.approvals > best.approvals:
                best = Requirement(rule.approvals, rule, cost_unknown=unknown)
        return best


def fewest_approvers(requesters: Iterable[int], approvers: Iterable[int]) -> tuple[int, int]:
    """The admin who can get the fewest approvals, and how many: the approvers other than
    themselves (the requester never counts). ``(0, 0)`` when nobody may request."""
    pool = frozenset(approvers)
    return min(((len(pool - {r}), r) for r in requesters), default=(0, 0))[::-1]


def unreachable(rules: ApprovalRules, requesters: Iterable[int], approvers: Iterable[int]) -> str:
    """Why some request could never be approved under ``rules``, as one line; "" if none.

    Checked at start-up: a rule asking for K approvals is refused when some admin who may
    request has fewer than K approvers other than themselves."""
    admin, available = fewest_approvers(requesters, approvers)
    if not rules.rules or rules.most <= available:
        return ""
    return (
        f"APPROVAL_RULES is invalid: a rule asks for {rules.most} approvals but admin {admin} "
        f"can get at most {available} (APPROVER_IDS other than the requester)"
    )


def parse_rule(text: str) -> ApprovalRule:
    """One rule as written (``recipients>=5000:2``); ValueError names the bad piece."""
    match = _RULE.match(text)
    if match is None:
        raise ValueError(f"got {text.strip()!r}")
    measure, threshold, approvals = match.group(1), int(match.group(2)), int(match.group(3))
    if not 1 <= approvals <= MAX_APPROVALS:
        raise ValueError(f"got {text.strip()!r}: approvals must be 1 to {MAX_APPROVALS}")
    return ApprovalRule(measure, threshold, approvals)  # type: ignore[arg-type]  # _RULE matches the two measures only


def parse_rules(text: str) -> ApprovalRules:
    """The whole setting; empty (or only spaces and commas) means no rule: one approval.

    ``[0-9]`` rather than ``\\d`` keeps Persian digits out: the setting is read by people
    and scripts alike, and one spelling avoids "۵۰۰۰" and "5000" looking different."""
    pieces = [p for p in text.split(",") if p.strip()]
    return ApprovalRules(tuple(parse_rule(p) for p in pieces))
