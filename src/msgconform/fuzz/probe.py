"""The fuzz probe: schemathesis generates requests from the bundled OpenAPI, hypothesis drives them.

Every example goes through `session.send` (deadlines, budget, redaction). When one breaks the mode's
predicate (from checks/fuzz.py) hypothesis shrinks it, so the failure shows the smallest request
that still breaks the contract. Runs are reproducible: fuzzing phase only, a fixed seed, no
example database. The seed travels with the exchanges (`FuzzExchanges.notes`) for the checks.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, assume, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky, Unsatisfiable
from schemathesis import GenerationMode

from msgconform.checks.fuzz import Problem, negative_problem, positive_problem
from msgconform.contract.document import Contract
from msgconform.core.cases import Case
from msgconform.core.errors import ConfigError, TransportError
from msgconform.core.exchange import Exchange
from msgconform.core.profiles import Profile
from msgconform.fuzz.schema import ENDPOINTS, conforms, operation
from msgconform.fuzz.schema import MAX_ITEMS as MAX_ITEMS
from msgconform.fuzz.schema import fuzz_document as fuzz_document
from msgconform.transport.client import BudgetExhausted
from msgconform.transport.session import Session

SEED_ENV = "MSGCONFORM_SEED"
DEFAULT_EXAMPLES = 20
DEFAULT_SHRINK_REQUESTS = 50
SHRINK_CALLS_PER_REQUEST = 4
MINIMAL = "fuzz:minimal"
# Overloaded and rate-limited answers say nothing about the request: not judged, not shrunk.
INCONCLUSIVE = frozenset({429, 529})
MODEL_MAX = 256  # ModelName's maxLength


class FuzzExchanges(dict[str, Exchange]):
    """The probe's exchanges plus what the checks print besides them (seed, counts, cases)."""

    notes: dict[str, Any]
    st_cases: dict[str, Any]  # label -> the schemathesis Case, for its response checks

    def __init__(self) -> None:
        super().__init__()
        self.notes = {}
        self.st_cases = {}


@dataclass
class Plan:
    mode: str
    endpoint: str
    version: str | None
    stream: bool
    examples: int
    seed: int
    shrink_requests: int


@dataclass
class Run:
    """What one hypothesis run saw; `seen` lets a replayed example reuse its first answer."""

    plan: Plan
    exchanges: FuzzExchanges = field(default_factory=FuzzExchanges)
    seen: dict[bytes, tuple[Exchange, Problem | None]] = field(default_factory=dict)
    failed: Exchange | None = None
    best: Exchange | None = None
    shrink_calls: int = 0
    st_cases: dict[str, Any] = field(default_factory=dict)
    shrinks: int = 0
    dropped: int = 0
    budget: BudgetExhausted | None = None


class ExampleFailed(Exception):
    def __init__(self, exchange: Exchange, problem: Problem) -> None:
        self.exchange = exchange
        self.problem = problem
        super().__init__(f"{exchange.label}: {problem.actual}")


# ------------------------------------------------------------------ the plan


def run_seed(case: Case) -> int:
    """The case's seed, else $MSGCONFORM_SEED, else a fresh one (always recorded)."""
    raw = case.probe_params.get("seed", os.environ.get(SEED_ENV))
    if raw is None or raw == "":
        return random.SystemRandom().randrange(2**32)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{case.test_id}: seed", f"not an integer: {raw!r}") from None


def make_plan(session: Session, case: Case) -> Plan:
    params = case.probe_params
    mode = params.get("mode", "positive")
    if mode not in ("positive", "negative"):
        raise ConfigError(f"{case.test_id}: probe_params.mode", f"unknown mode {mode!r}")
    endpoint = params.get("endpoint", "messages")
    if endpoint not in ENDPOINTS:
        raise ConfigError(f"{case.test_id}: probe_params.endpoint", f"unknown {endpoint!r}")
    limits = session.profile.limits
    return Plan(
        mode=mode,
        endpoint=endpoint,
        version=params.get("version"),
        stream=case.stream or bool(params.get("stream")),
        examples=int(params.get("examples", limits.get("fuzz_examples", DEFAULT_EXAMPLES))),
        seed=run_seed(case),
        shrink_requests=int(
            params.get(
                "shrink_requests", limits.get("fuzz_shrink_requests", DEFAULT_SHRINK_REQUESTS)
            )
        ),
    )


# ------------------------------------------------------------------ generation


def hypothesis_settings(plan: Plan) -> settings:
    return settings(
        max_examples=plan.examples,
        deadline=None,
        database=None,
        derandomize=False,  # the explicit seed decides; derandomize would ignore it
        phases=[Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        verbosity=Verbosity.quiet,
    )


# ------------------------------------------------------------------ shaping one example


def prepare(body: Any, plan: Plan, profile: Profile, contract: Contract) -> Any:
    """The request to send, or None to drop the example (see the two modes below)."""
    if plan.mode == "positive":
        return positive_body(body, plan, profile, contract)
    return negative_body(body, plan, profile, contract)


def cap_tokens(body: dict[str, Any], profile: Profile) -> None:
    cap = int(profile.limits["max_tokens_cap"])
    tokens = body.get("max_tokens")
    if isinstance(tokens, (int, float)) and not isinstance(tokens, bool) and tokens > cap:
        body["max_tokens"] = cap


def positive_body(
    body: Any, plan: Plan, profile: Profile, contract: Contract
) -> dict[str, Any] | None:
    if not isinstance(body, dict):
        return None
    shaped = {**body, "model": profile.model("small")}
    cap_tokens(shaped, profile)
    shaped.pop("stream", None)
    if plan.stream:
        shaped["stream"] = True
    if not conforms(contract, shaped, plan.endpoint) or not fits_profile(shaped, profile):
        return None
    return shaped


def fits_profile(body: Mapping[str, Any], profile: Profile) -> bool:
    """Rules a JSON Schema cannot carry (cross-field, or the profile's features)."""
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") != "disabled":
        budget = thinking.get("budget_tokens", 0)
        # budget_tokens must be below max_tokens, which the cap keeps tiny.
        if not profile.has("thinking") or budget >= body.get("max_tokens", 0):
            return False
    if body.get("tools") and not profile.has("tools"):
        return False
    kinds = {
        block.get("type")
        for message in body.get("messages", [])
        if isinstance(message.get("content"), list)
        for block in message["content"]
    }
    if any(kind in kinds and not profile.has(f"{kind}s") for kind in ("image", "document")):
        return False
    last = body["messages"][-1]
    return last.get("role") != "assistant" or profile.has("prefill")


def negative_body(body: Any, plan: Plan, profile: Profile, contract: Contract) -> Any:
    # Only the body is fuzzed negatively: a case whose sole violation is a header (a missing
    # anthropic-version, an odd anthropic-beta) is dropped, as is one that breaks only the fuzz
    # view's bounds. The auth and header suites test headers; lenient servers accept these.
    if isinstance(body, bytes):
        try:
            body = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return RawBody(body)
    if conforms(contract, body, plan.endpoint):
        return None
    if isinstance(body, dict):
        body = dict(body)
        if isinstance(body.get("model"), str) and 0 < len(body["model"]) <= MODEL_MAX:
            body["model"] = profile.model("small")  # so the violation is the only reason to refuse
        cap_tokens(body, profile)
        body.pop("stream", None)
    return body


@dataclass(frozen=True)
class RawBody:
    data: bytes


# ------------------------------------------------------------------ sending and judging


def encode(body: Any) -> bytes:
    if isinstance(body, RawBody):
        return body.data
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only the escaped form is sendable
        return json.dumps(body).encode("utf-8")


def judge(exchange: Exchange, run: Run, session: Session, contract: Contract) -> Problem | None:
    if exchange.status in INCONCLUSIVE:
        return None
    if run.plan.mode == "negative":
        return negative_problem(exchange, contract)
    return positive_problem(exchange, contract, session.profile, run.plan.endpoint)


def next_label(run: Run) -> str:
    if run.failed is None:
        return f"fuzz:{len(run.exchanges) + 1:04d}"
    run.shrinks += 1
    return f"fuzz:shrink:{run.shrinks:03d}"


def send_example(
    session: Session, run: Run, body: Any, contract: Contract, st_case: Any
) -> tuple[Exchange, Problem | None] | None:
    raw = encode(body)
    if raw in run.seen:
        return run.seen[raw]
    if run.budget is not None or (run.failed and run.shrinks >= run.plan.shrink_requests):
        return None
    label = next_label(run)
    json_body = None if isinstance(body, RawBody) else body
    try:
        exchange = session.send(
            label,
            ENDPOINTS[run.plan.endpoint],
            json_body,
            headers=session.headers(version=run.plan.version),
            raw_body=raw,
            stream=run.plan.stream,
            retry=False,
        )
    except BudgetExhausted as exc:
        run.budget = exc
        return None
    if run.failed is None:
        run.exchanges[label] = exchange
    run.st_cases[label] = st_case
    problem = judge(exchange, run, session, contract)
    if problem is not None:
        run.failed = run.failed or exchange
        if run.best is None or smaller(raw, encode_of(run.best)):
            run.best = exchange
    run.seen[raw] = (exchange, problem)
    return run.seen[raw]


def encode_of(exchange: Exchange) -> bytes:
    return exchange.raw_request_body or b""


def smaller(a: bytes, b: bytes) -> bool:
    return (len(a), a) < (len(b), b)


@contextlib.contextmanager
def no_local_constants() -> Iterator[None]:
    """Hide hypothesis' pool of constants read from local source files during a run.

    The pool depends on which modules are imported, so the same seed gave different requests in
    the CLI and in pytest, and a secret written in a local file could reach a generated body."""
    # Private API (hypothesis 6.170): looked up at run time, skipped when it moves.
    providers: Any = importlib.import_module("hypothesis.internal.conjecture.providers")
    original = getattr(providers, "_get_local_constants", None)
    if original is None or not hasattr(providers, "Constants"):
        yield
        return
    sorted_set = importlib.import_module("sortedcontainers").SortedSet
    floats = importlib.import_module("hypothesis.internal.floats")
    empty = providers.Constants(
        integers=sorted_set(),
        floats=sorted_set(key=floats.float_to_int),
        bytes=sorted_set(),
        strings=sorted_set(),
    )
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original


def explore(session: Session, plan: Plan, contract: Contract) -> Run:
    run = Run(plan)
    mode = GenerationMode.POSITIVE if plan.mode == "positive" else GenerationMode.NEGATIVE
    strategy = operation(contract, plan.endpoint).as_strategy(generation_mode=mode)

    @hypothesis_seed(plan.seed)
    @hypothesis_settings(plan)
    @given(st.data())
    def trial(data: st.DataObject) -> None:
        if run.failed is not None:
            # Shrinking draws a fresh example per attempt; past the cap each attempt is
            # rejected before drawing, so the shrinker winds down in milliseconds.
            run.shrink_calls += 1
            assume(run.shrink_calls <= plan.shrink_requests * SHRINK_CALLS_PER_REQUEST)
        case = data.draw(strategy)
        body = prepare(case.body, plan, session.profile, contract)
        if body is None and run.failed is None:
            run.dropped += 1
        assume(body is not None)
        answer = send_example(session, run, body, contract, case)
        if answer is not None and answer[1] is not None:
            raise ExampleFailed(answer[0], answer[1])

    with contextlib.suppress(ExampleFailed, Flaky, Unsatisfiable), no_local_constants():
        trial()  # the smallest failing example is in run.best whichever way hypothesis ends
    if run.best is not None:
        exchange = run.best
        run.exchanges[MINIMAL] = replace(exchange, label=MINIMAL)
        run.exchanges.st_cases[MINIMAL] = run.st_cases.get(exchange.label)
        run.exchanges.notes["minimal_of"] = exchange.label
    return run


def fuzz(session: Session, case: Case, body: dict[str, Any]) -> FuzzExchanges:
    plan = make_plan(session, case)
    contract = session.contract(case.probe_params.get("version"))
    run = explore(session, plan, contract)
    sent = [label for label in run.exchanges if label != MINIMAL]
    run.exchanges.notes.update(
        seed=plan.seed,
        mode=plan.mode,
        endpoint=plan.endpoint,
        examples=plan.examples,
        sent=len(sent),
        dropped=run.dropped,
        shrink_requests=run.shrinks,
        rerun=f"{SEED_ENV}={plan.seed}",
    )
    run.exchanges.st_cases.update((k, v) for k, v in run.st_cases.items() if k in run.exchanges)
    if not sent:
        if run.budget is not None:
            raise run.budget
        raise TransportError(f"fuzz seed {plan.seed}: no example could be generated and sent")
    if run.budget is not None:
        run.exchanges.notes["budget"] = str(run.budget)
    return run.exchanges
