"""One battery run: the mock on loopback, each scenario through the phases of any trial — probe
(the adapter's run and the mock's log of what the client sent), judge (clients/judge.py), grade
(core/grading.py, as a provider case) — and a ScenarioResult the one record writer takes."""

from __future__ import annotations

import queue
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from msgconform.clients import adapter as adapter_mod
from msgconform.clients.adapter import Adapter, AdapterRun, Worker
from msgconform.clients.exchanges import ClientAttempt, attempts
from msgconform.clients.judge import Seen, judge
from msgconform.clients.policy import Policy
from msgconform.clients.policy_outcome import expected
from msgconform.clients.scenarios import ClientScenario
from msgconform.core.expectations import Expectation
from msgconform.core.grading import Failure, grade
from msgconform.core.profiles import Profile
from msgconform.mock.app import MockApp
from msgconform.mock.scenarios_clients import PREFIX, ClientLog, Logged, build_message, key_for
from msgconform.mock.server import MockServer
from msgconform.mock.validate import contract_validator, request_issues

# A process started per scenario gets this long beyond the scenario's deadline to load its runtime.
STARTUP_ALLOWANCE_S = 10.0


@dataclass
class ScenarioResult:
    """A client scenario's result; what the record needs of it is a provider CaseResult's
    (report.evidence.ResultLike), the client's requests being its exchanges."""

    scenario: ClientScenario
    outcome: str
    duration_s: float
    reason: str | None = None
    failures: list[Failure] = field(default_factory=list)
    log: list[Logged] = field(default_factory=list)
    run: AdapterRun | None = None
    request: dict[str, Any] = field(default_factory=dict)
    auth: str = "x-api-key"
    started: float = 0.0
    sent: list[ClientAttempt] = field(default_factory=list)

    @property
    def case(self) -> ClientScenario:
        return self.scenario

    @property
    def exchanges(self) -> dict[str, ClientAttempt]:
        return {attempt.label: attempt for attempt in self.sent}

    @property
    def requests(self) -> int:
        return len(self.log)

    @property
    def retries(self) -> int:
        """Every request after the first is a retry: the client chose to send it again."""
        return max(0, len(self.log) - 1)

    @property
    def notices(self) -> list[Failure]:
        """The client under test sends the requests, so the suite's transport notices nothing."""
        return []


@dataclass(frozen=True)
class Battery:
    adapter: Adapter
    policy: Policy
    profile: Profile
    auth: str | None = None
    strict: bool = False
    jobs: int = 4
    expectations: dict[str, Expectation] = field(default_factory=dict)

    def run(
        self,
        scenarios: Sequence[ClientScenario],
        progress: Callable[[ScenarioResult], None] | None = None,
    ) -> list[ScenarioResult]:
        key = "sk-msgconform-client-" + secrets.token_hex(12)
        workers: queue.Queue[Worker | None] = queue.Queue()
        for _ in range(max(1, self.jobs)):
            workers.put(Worker(self.adapter) if self.adapter.lines else None)

        def one(scenario: ClientScenario) -> ScenarioResult:
            worker = workers.get()
            try:
                result = self.run_one(server, key, scenario, worker)
            finally:
                workers.put(worker)
            if progress is not None:
                progress(result)
            return result

        with MockServer(self.profile, key) as server:
            try:
                with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
                    return list(pool.map(one, scenarios))
            finally:
                while not workers.empty():
                    if (worker := workers.get()) is not None:
                        worker.close()

    def run_one(
        self, server: MockServer, key: str, scenario: ClientScenario, worker: Worker | None = None
    ) -> ScenarioResult:
        """Skip, or probe, judge and grade, as the engine runs a provider case."""
        auth = scenario.auth or self.auth or self.profile.preferred_scheme
        request = scenario.body(self.profile.model())
        if (why := not_applicable(scenario, self.profile, request, auth)) is not None:
            return ScenarioResult(scenario, "SKIP", 0.0, why, request=request, auth=auth)
        result = self.probe(server, key, scenario, worker, auth, request)
        assert result.run is not None, "probe() keeps the adapter's run"
        if (why := no_verdict(result.run, result.log)) is not None:
            result.outcome, result.reason = self.grade(scenario, [], why)
            return result
        seen = Seen(
            scenario, expected(scenario, self.policy), self.policy,
            build_message(scenario.message, str(request["model"]), scenario.id),
            request, result.run, result.log, key, auth, tuple(self.profile.versions),
            tuple(result.sent),
        )  # fmt: skip
        try:
            result.failures = judge(seen)
        except Exception as exc:  # a harness bug: ERROR, not a verdict (the engine: CheckCrashed)
            result.outcome, result.reason = "ERROR", f"judge crashed: {type(exc).__name__}: {exc}"
            return result
        result.outcome, result.reason = self.grade(scenario, result.failures, None)
        return result

    def probe(
        self,
        server: MockServer,
        key: str,
        scenario: ClientScenario,
        worker: Worker | None,
        auth: str,
        request: dict[str, Any],
    ) -> ScenarioResult:
        """Run the adapter and take what the mock logged of the client's requests (PENDING)."""
        token = secrets.token_hex(6)
        env = {
            "MSGCONFORM_BASE_URL": f"{server.url}{PREFIX}{scenario.id}/{token}",
            "MSGCONFORM_API_KEY": key,
            "MSGCONFORM_AUTH": auth,
            "MSGCONFORM_SCENARIO": scenario.id,
        }
        started = time.monotonic()
        # A lines-mode worker is ready before the clock starts; a new process has to start first.
        run = (
            worker.call(request, env, scenario.within_s)
            if worker is not None
            else adapter_mod.run(
                self.adapter, request, env, scenario.within_s + STARTUP_ALLOWANCE_S
            )
        )
        log_key, requests = key_for(scenario.id, token), client_log(server)
        log = requests.entries(log_key)
        requests.forget(log_key)
        started = run.started or started
        return ScenarioResult(
            scenario, "PENDING", time.monotonic() - started, log=log, run=run, request=request,
            auth=auth, started=started, sent=attempts(scenario.id, log, started),
        )  # fmt: skip

    def grade(
        self, scenario: ClientScenario, failures: list[Failure], error: str | None
    ) -> tuple[str, str | None]:
        return grade(
            scenario.test_id, failures, error, strict=self.strict, expectations=self.expectations
        )


def client_log(server: MockServer) -> ClientLog:
    app = server.app
    if not isinstance(app, MockApp):  # the battery starts a bare mock; anything else is a bug
        raise TypeError(f"the client battery needs the mock app, not {type(app).__name__}")
    return app.client_log


def not_applicable(
    scenario: ClientScenario, profile: Profile, request: dict[str, Any], auth: str
) -> str | None:
    """A scenario the emulated provider itself would refuse judges nothing about the client."""
    if auth not in profile.accepted_schemes:
        return f"profile {profile.name} does not accept {auth}"
    version = profile.anthropic_version
    validator = contract_validator(version, profile.contract.overlay)
    if issues := request_issues(request, "messages", version, profile, validator):
        return f"the {profile.name} contract rejects this scenario's request ({issues[0]})"
    return None


def no_verdict(run: AdapterRun, log: list[Logged]) -> str | None:
    """Adapter trouble is ERROR, not a verdict on the client: no result line at all, or a timeout
    before the client sent anything (a runtime that never got going)."""
    if run.timed_out and not log:
        return f"the adapter sent no request within {run.elapsed_s:.0f}s"
    if run.output is None and not run.timed_out:
        last = [line for line in run.stderr.strip().splitlines() if line.strip()][-2:]
        return f"the adapter {run.problem} (exit {run.exit_code}): {' | '.join(last)[-300:]}"
    return None
