"""The fuzz probe: stored examples first, then requests drawn from the profile's contract.

Every example goes through `session.send` (deadlines, budget, redaction) and is judged by the
predicates of checks/fuzz.py. The worst problem found (a FAIL before a NON-STRICT) is shrunk
while the same predicate still finds the same clause at the same grade, and a negative example
must still break what it broke (re-checked before each candidate is sent).

Runs are reproducible: the seed is the case's, else the run's (`--seed`, or the one `--explore`
drew for the run; RunSettings), else a fresh one per case when exploring without one, else derived
from the hashes of the fuzz suite and the contract: two nights send the same examples unless the
suite or the contract changed.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from msgconform.checks.base import FuzzNotes, ProbeResult
from msgconform.checks.fuzz import Problem, example_problem
from msgconform.contract.document import Contract
from msgconform.contract.rules import request_breaks
from msgconform.core.cases import Case, materialize
from msgconform.core.errors import ConfigError, TransportError
from msgconform.core.exchange import Exchange
from msgconform.core.paths import SUITES
from msgconform.core.settings import RunSettings
from msgconform.fuzz import regressions
from msgconform.fuzz.examples import Shape, negative, positive, shaped
from msgconform.fuzz.ranges import range_probe
from msgconform.fuzz.schema import ENDPOINTS
from msgconform.fuzz.shrink import shrink
from msgconform.transport.client import BudgetExhausted
from msgconform.transport.session import Session

DRAWS_PER_EXAMPLE = 20  # a draw that cannot be made valid is dropped; give up after this many
LOCAL_SHRINK_ATTEMPTS = 400
MINIMAL = "fuzz:minimal"
# Overloaded and rate-limited answers say nothing about the request: not judged, not shrunk.
INCONCLUSIVE = frozenset({429, 529})


@dataclass
class Plan:
    mode: str
    endpoint: str
    version: str | None
    stream: bool
    examples: int
    seed: int
    seed_from: str
    shrink_requests: int
    # `--explore deep` on a negative case: schemathesis' examples too, after the walk's.
    deep: bool = False


@dataclass
class Run:
    plan: Plan
    shape: Shape
    session: Session
    exchanges: dict[str, Exchange] = field(default_factory=dict)
    worst: tuple[Problem, Exchange] | None = None
    shrinks: int = 0
    dropped: int = 0
    replayed: int = 0
    budget: BudgetExhausted | None = None
    minimal_of: str | None = None
    deep_drawn: int | None = None
    deep_kept: int | None = None


# ------------------------------------------------------------------ the plan


@cache
def suite_digest() -> str:
    """The fuzz suite's files (cases, scope, stored examples) as one hash."""
    digest = hashlib.sha256()
    for path in sorted((SUITES / "fuzz").glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@cache
def contract_digest(contract: Contract) -> str:
    text = json.dumps(contract.openapi, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_seed(case: Case, contract: Contract, settings: RunSettings) -> tuple[int, str]:
    """The case's seed, else the run's, else fresh (--explore), else derived."""
    raw = case.probe_params.get("seed", settings.seed)
    if raw is not None and raw != "":
        try:
            return int(raw), "given"
        except (TypeError, ValueError):
            raise ConfigError(f"{case.test_id}: seed", f"not an integer: {raw!r}") from None
    if settings.explore:
        return random.SystemRandom().randrange(2**32), "explore"
    text = f"{suite_digest()}:{contract_digest(contract)}:{case.test_id}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16), "derived"


def make_plan(session: Session, case: Case, contract: Contract) -> Plan:
    params = case.probe_params
    mode = params.get("mode", "positive")
    if mode not in ("positive", "negative"):  # "range" never gets here (see `fuzz`)
        raise ConfigError(f"{case.test_id}: probe_params.mode", f"unknown mode {mode!r}")
    endpoint = params.get("endpoint", "messages")
    if endpoint not in ENDPOINTS:
        raise ConfigError(f"{case.test_id}: probe_params.endpoint", f"unknown {endpoint!r}")
    limits = session.profile.limits
    seed, seed_from = run_seed(case, contract, session.settings)
    return Plan(
        mode=mode,
        endpoint=endpoint,
        version=params.get("version"),
        stream=case.stream or bool(params.get("stream")),
        examples=int(params.get("examples", limits.fuzz_examples)),
        seed=seed,
        seed_from=seed_from,
        shrink_requests=int(params.get("shrink_requests", limits.fuzz_shrink_requests)),
        deep=session.settings.deep and mode == "negative",
    )


# ------------------------------------------------------------------ examples


def stored_examples(run: Run) -> Iterator[dict[str, Any]]:
    plan, profile = run.plan, run.session.profile
    cap = profile.limits.max_tokens_cap
    for entry in regressions.for_case(plan.mode, plan.endpoint, plan.stream):
        body = materialize(entry.body, profile.models, cap)
        yield shaped(body, run.shape) if plan.mode == "positive" else body


def new_examples(run: Run) -> Iterator[dict[str, Any]]:
    rng = random.Random(run.plan.seed)
    make: Callable[[random.Random, Shape], Any] = (
        positive if run.plan.mode == "positive" else negative
    )
    for _ in range(run.plan.examples * DRAWS_PER_EXAMPLE):
        drawn = make(rng, run.shape)
        if drawn is None:
            run.dropped += 1
            continue
        yield drawn if run.plan.mode == "positive" else drawn.body


# ------------------------------------------------------------------ sending and judging


def encode(body: Any) -> bytes:
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only the escaped form is sendable
        return json.dumps(body).encode("utf-8")


def send(run: Run, label: str, body: Any) -> Exchange | None:
    try:
        return run.session.send(
            label,
            ENDPOINTS[run.plan.endpoint],
            body,
            headers=run.session.headers(version=run.plan.version),
            raw_body=encode(body),
            stream=run.plan.stream,
            retry=False,
        )
    except BudgetExhausted as exc:
        run.budget = exc
        return None


def judge(run: Run, exchange: Exchange) -> Problem | None:
    if exchange.status in INCONCLUSIVE:
        return None
    contract, profile, endpoint = run.shape.contract, run.session.profile, run.plan.endpoint
    return example_problem(exchange, contract, profile, endpoint)


def note(run: Run, exchange: Exchange) -> None:
    problem = judge(run, exchange)
    if problem is None:
        return
    if run.worst is None or (problem.gating and not run.worst[0].gating):
        run.worst = (problem, exchange)


def deep_examples(run: Run) -> Iterator[dict[str, Any]]:
    """schemathesis' negative examples that break one thing (fuzz/deep.py), as many as the walk
    sends. Imported here, not above: only `--explore deep` loads schemathesis."""
    from msgconform.fuzz.deep import deep_negatives

    kept, drawn = deep_negatives(run.shape, run.plan.seed, run.plan.examples)
    run.deep_drawn, run.deep_kept = drawn, len(kept)
    return (made.body for made in kept)


def send_all(run: Run, prefix: str, bodies: Iterator[dict[str, Any]], most: int) -> bool:
    """Send and judge up to `most` bodies; False once the budget is spent."""
    for sent, body in enumerate(bodies, 1):
        if sent > most:
            break
        exchange = send(run, f"{prefix}{sent:04d}", body)
        if exchange is None:
            return False
        run.exchanges[exchange.label] = exchange
        note(run, exchange)
    return True


def explore(run: Run) -> None:
    for i, body in enumerate(stored_examples(run), 1):
        exchange = send(run, f"fuzz:stored:{i:02d}", body)
        if exchange is None:
            return
        run.exchanges[exchange.label] = exchange
        run.replayed += 1
        note(run, exchange)
    if not send_all(run, "fuzz:", new_examples(run), run.plan.examples):
        return
    if run.plan.deep:
        send_all(run, "fuzz:deep:", deep_examples(run), run.plan.examples)


# ------------------------------------------------------------------ shrinking


def same_kind(run: Run, body: Any, original: Any) -> bool:
    """A candidate stays what the original was: valid, or breaking the same thing."""
    contract, endpoint = run.shape.contract, run.plan.endpoint
    now = request_breaks(contract, body, endpoint)
    if run.plan.mode == "positive":
        return not now
    before = request_breaks(contract, original, endpoint)
    return (
        bool(now)
        and bool(before)
        and (now[0].what, now[0].clause) == (before[0].what, before[0].clause)
    )


def minimise(run: Run) -> None:
    if run.worst is None or run.budget is not None:
        return
    problem, exchange = run.worst
    original = exchange.request_body

    def keep(candidate: Any) -> bool:
        if run.shrinks >= run.plan.shrink_requests or not same_kind(run, candidate, original):
            return False
        run.shrinks += 1
        answer = send(run, f"fuzz:shrink:{run.shrinks:03d}", candidate)
        if answer is None:
            return False
        found = judge(run, answer)
        return found is not None and (found.clause, found.level) == (problem.clause, problem.level)

    smallest = shrink(original, keep, LOCAL_SHRINK_ATTEMPTS)
    final = exchange
    if smallest is not original:
        again = send(run, MINIMAL, smallest)  # the example shown is the one judged, sent again
        found = judge(run, again) if again is not None else None
        if again is not None and found is not None and found.level == problem.level:
            final = again
    run.exchanges[MINIMAL] = replace(final, label=MINIMAL)
    run.minimal_of = exchange.label


def fuzz(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    if case.probe_params.get("mode") == "range":
        return range_probe(session, case, body)
    return generated(session, case)


def generated(session: Session, case: Case) -> ProbeResult:
    contract = session.contract(case.probe_params.get("version"))
    plan = make_plan(session, case, contract)
    shape = Shape(contract, session.profile, plan.endpoint, plan.stream)
    run = Run(plan, shape, session)
    explore(run)
    minimise(run)
    sent = [label for label in run.exchanges if label != MINIMAL]
    if not sent:
        if run.budget is not None:
            raise run.budget
        raise TransportError(f"fuzz seed {plan.seed}: no example could be generated and sent")
    return ProbeResult(run.exchanges, notes_of(run, len(sent)))


def notes_of(run: Run, sent: int) -> FuzzNotes:
    """What the checks print beside the exchanges: the seed, how to rerun, the counts."""
    plan = run.plan
    return FuzzNotes(
        seed=plan.seed,
        seed_from=plan.seed_from,
        mode=plan.mode,
        endpoint=plan.endpoint,
        examples=plan.examples,
        sent=sent,
        replayed=run.replayed,
        dropped=run.dropped,
        shrink_requests=run.shrinks,
        rerun=f"--seed {plan.seed}" + (" --explore deep" if plan.deep else ""),
        minimal_of=run.minimal_of,
        budget=str(run.budget) if run.budget is not None else None,
        deep_drawn=run.deep_drawn,
        deep_kept=run.deep_kept,
    )
