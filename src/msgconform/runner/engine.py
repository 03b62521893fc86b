"""Running one case: probe (gather exchanges), judge (run its checks), grade (the outcome).

The pytest plugin and the self-tests both drive this; nothing here knows about pytest.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from msgconform.checks import REGISTRY, connection, invariants
from msgconform.checks.base import CaseContext, ConformanceFailure, to_failure
from msgconform.contract.document import Contract
from msgconform.contract.rules import rule_issues
from msgconform.core import expectations as expectations_mod
from msgconform.core.cases import Case, materialize
from msgconform.core.errors import ConfigError, TransportError
from msgconform.core.exchange import Exchange
from msgconform.core.grading import Failure, grade
from msgconform.core.profiles import Profile
from msgconform.runner.probes import PROBES
from msgconform.transport.client import BudgetExhausted
from msgconform.transport.session import Session

TRANSIENT_STATUSES = frozenset({429, 529})


class NotApplicable(Exception):
    """The profile's own contract decides the case does not apply (its documents rule)."""


# `requires` entries judged on the request itself, against the profile's contract (with overlay).
CONTRACT_REQUIREMENTS = ("contract-accepts", "contract-rejects")


class CheckCrashed(Exception):
    """A check raised something other than a ConformanceFailure: a bug in msgconform."""


@dataclass
class CaseResult:
    case: Case
    outcome: str
    duration_s: float = 0.0
    reason: str | None = None
    failures: list[Failure] = field(default_factory=list)
    exchanges: dict[str, Exchange] = field(default_factory=dict)
    context: CaseContext | None = field(default=None, repr=False)
    started: float = 0.0
    # Findings about the connection that grade nothing (checks/connection.py), any outcome.
    notices: list[Failure] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.notices:
            self.notices = [to_failure(n.check, n) for n in connection.notices(self.exchanges)]

    @property
    def requests(self) -> int:
        return sum(1 + e.retries for e in self.exchanges.values())

    @property
    def retries(self) -> int:
        return sum(e.retries for e in self.exchanges.values())


def skip_reason(case: Case, profile: Profile) -> str | None:
    """`requires` entries: a feature, `!feature` (the profile lacks it), `version:<value>`."""
    unmet = [r for r in case.requires if not requirement_met(r, profile)]
    if unmet:
        return f"profile {profile.name} does not meet: {', '.join(unmet)}"
    return None


def requirement_met(requirement: str, profile: Profile) -> bool:
    if requirement in CONTRACT_REQUIREMENTS:
        return True  # judged on the request, when the case is probed
    if requirement.startswith("!"):  # only a profile that declares the feature absent
        return profile.declares(requirement[1:]) is False
    if requirement.startswith("version:"):
        return requirement.partition(":")[2] in profile.versions
    return profile.has(requirement)


class Engine:
    def __init__(
        self,
        profile: Profile,
        session: Session,
        *,
        expectations: Mapping[str, expectations_mod.Expectation] | None = None,
    ) -> None:
        self.profile = profile
        self.session = session
        # The run's settings (strict, seed, explore, …) arrive with the session the probes share.
        self.settings = session.settings
        self.expectations = dict(expectations or {})

    def request_for(self, case: Case) -> dict[str, Any]:
        if case.request is None:
            return {}
        body = materialize(case.request, self.profile.models, self.profile.limits.max_tokens_cap)
        if case.stream:
            body["stream"] = True
        return body

    def probe(self, case: Case) -> CaseContext:
        """Gather the exchanges. Raises TransportError when there is nothing to judge."""
        func = PROBES.get(case.probe)
        if func is None:
            raise ConfigError(f"{case.test_id}", f"unknown probe {case.probe!r}", ", ".join(PROBES))
        body = self.request_for(case)
        version = case.probe_params.get("version")
        contract = self.session.contract(version if version not in (None, "none") else None)
        check_contract_requirements(case, body, contract)
        found = func(self.session, case, body)
        ctx = CaseContext(self.profile, contract, body, found.exchanges, fuzz=found.fuzz)
        raise_on_transport_trouble(case, ctx.exchanges)
        return ctx

    def judge(self, case: Case, ctx: CaseContext) -> list[Failure]:
        failures: list[Failure] = []
        for name, params in case.checks:
            spec = REGISTRY.get(name)
            if spec is None:
                raise ConfigError(f"{case.test_id}", f"unknown check {name!r}")
            try:
                spec.func(ctx, **params)
            except ConformanceFailure as exc:
                failures.append(to_failure(name, exc))
            except (Exception, BaseExceptionGroup) as exc:  # a harness bug: ERROR, not a verdict
                raise CheckCrashed(f"check {name} crashed: {type(exc).__name__}: {exc}") from exc
        return self.with_invariants(case, ctx, failures)

    def with_invariants(
        self, case: Case, ctx: CaseContext, failures: list[Failure]
    ) -> list[Failure]:
        """Every exchange is judged by the invariants too; a breach is reported once, by them."""
        try:
            breaches = invariants.judge(ctx, case.invariants_off, case.test_id)
        except ConfigError:
            raise
        except (Exception, BaseExceptionGroup) as exc:  # a harness bug: ERROR, not a verdict
            raise CheckCrashed(f"invariants crashed: {type(exc).__name__}: {exc}") from exc
        kept = [f for f in failures if not invariants.explained(breaches, f.clause, f.exchange)]
        return kept + [to_failure(b.failure.check, b.failure) for b in breaches]

    def grade(
        self, case: Case, failures: list[Failure], error: str | None
    ) -> tuple[str, str | None]:
        return grade(
            case.test_id,
            failures,
            error,
            strict=self.settings.strict,
            expectations=self.expectations,
        )

    def start(self, case: Case) -> CaseResult:
        """Skip or probe. The result is PENDING (judge it with `finish`) unless it already has an
        outcome: SKIP, or ERROR for transport trouble. A spent budget propagates to the caller."""
        started = time.monotonic()
        if reason := skip_reason(case, self.profile):
            return CaseResult(case, "SKIP", 0.0, reason)
        try:
            ctx = self.probe(case)
        except NotApplicable as exc:
            return CaseResult(case, "SKIP", time.monotonic() - started, str(exc))
        except ConfigError as exc:
            return CaseResult(case, "ERROR", time.monotonic() - started, exc.line())
        except BudgetExhausted:
            raise
        except TransportError as exc:
            outcome, why = self.grade(case, [], str(exc))
            exchanges = {exc.exchange.label: exc.exchange} if exc.exchange else {}
            return CaseResult(case, outcome, time.monotonic() - started, why, [], exchanges)
        return CaseResult(case, "PENDING", exchanges=ctx.exchanges, context=ctx, started=started)

    def finish(self, pending: CaseResult) -> CaseResult:
        """Judge and grade a PENDING result."""
        case, ctx = pending.case, pending.context
        assert ctx is not None, "finish() takes the PENDING result of start()"
        try:
            failures = self.judge(case, ctx)
        except CheckCrashed as exc:
            elapsed = time.monotonic() - pending.started
            return CaseResult(case, "ERROR", elapsed, str(exc), [], ctx.exchanges)
        outcome, why = self.grade(case, failures, None)
        elapsed = time.monotonic() - pending.started
        return CaseResult(case, outcome, elapsed, why, failures, ctx.exchanges, context=ctx)

    def run_case(self, case: Case) -> CaseResult:
        result = self.start(case)
        return self.finish(result) if result.outcome == "PENDING" else result


def check_contract_requirements(case: Case, body: Any, contract: Contract) -> None:
    wanted = [r for r in case.requires if r in CONTRACT_REQUIREMENTS]
    if not wanted:
        return
    issues = contract.request_issues(body) or rule_issues(contract, body)
    overlay = contract.overlay or "upstream"
    if "contract-accepts" in wanted and issues:
        raise NotApplicable(f"the {overlay} contract rejects this request ({issues[0]})")
    if "contract-rejects" in wanted and not issues:
        raise NotApplicable(f"the {overlay} contract accepts this request")


def raise_on_transport_trouble(case: Case, exchanges: Mapping[str, Exchange]) -> None:
    """Connection trouble, and rate limits that outlived the retries, are not verdicts."""
    for exchange in exchanges.values():
        if exchange.status is None and exchange.ended in ("connect", "reset"):
            again = f", on the resend; first {exchange.reconnected}" if exchange.reconnected else ""
            raise TransportError(f"{exchange.label}: {exchange.error}{again}", exchange)
        retried = case.probe_params.get("retry", True)
        if retried and exchange.status in TRANSIENT_STATUSES:
            raise TransportError(
                f"{exchange.label}: still {exchange.status} after {exchange.retries} retries",
                exchange,
            )
