"""One run against one provider: target, session, engine, run record, exit status."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Any

import pytest

from msgconform.core import expectations as expectations_mod
from msgconform.core import limits as limits_mod
from msgconform.core.cases import Case
from msgconform.core.grading import exit_status
from msgconform.core.limits import RunLimits
from msgconform.core.paths import REPORTS
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.core.redact import Redactor
from msgconform.core.settings import RunSettings
from msgconform.features.record import feature_fields
from msgconform.report import findings
from msgconform.report.evidence import case_record
from msgconform.report.record import RunRecorder, compute_hashes
from msgconform.report.write import publish
from msgconform.runner import options
from msgconform.runner.engine import CaseResult, Engine
from msgconform.runner.models import SHARED_KEY, SharedRun
from msgconform.runner.options import one_value
from msgconform.runner.schedule import Prober
from msgconform.runner.smoke import smoke_gate
from msgconform.runner.target import Target, open_target
from msgconform.transport.cassette import RecordingClient, ReplayClient
from msgconform.transport.client import BudgetExhausted
from msgconform.transport.session import Session

MAX_EVIDENCE = 4
MIN_CASES_BEFORE_ERROR_ABORT = 5


def chosen_profile(values: Mapping[str, Any]) -> str:
    """--profile PATH wins over --provider NAME; the bundled mock is the default."""
    return one_value(values, "profile") or one_value(values, "provider") or "mock"


class RunContext:
    def __init__(
        self, profile: Profile, settings: RunSettings, shared: SharedRun | None = None
    ) -> None:
        self.profile = profile
        self.settings = settings
        self.shared = shared  # several models in one process
        self.results: list[CaseResult] = []
        self.abort_reason: str | None = None
        self.recorder: RunRecorder | None = None
        self.started = time.monotonic()
        self._stack = ExitStack()
        self.pending_line: str | None = None
        self.reporter: Any = None
        self.engine: Engine
        self.prober: Prober
        self.session: Session
        self.target: Target

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunContext:
        values = options.from_pytest(config)
        overrides = {name: values[name] for name in ("base_url", "auth", "key_env", "features")} | {
            "model": one_value(values, "model")
        }
        profile = load_profile(chosen_profile(values), overrides)
        to_mock = bool(values["against_mock"] or values["replay"])
        run_limits = limits_mod.effective(profile, values, to_mock=to_mock)
        profile = limits_mod.apply(profile, run_limits)
        argv = tuple(str(a) for a in config.invocation_params.args)
        settings = RunSettings.from_options(values, run_limits, argv)
        return cls(profile, settings, config.stash.get(SHARED_KEY, None))

    def open(self, cases: Sequence[Case]) -> None:
        secret_headers = list(self.profile.auth.extra_secret_headers)
        settings = self.settings
        if settings.replay is not None:
            # A replay needs no key, no network and no mock: the cassette answers.
            player = ReplayClient(settings.replay, secret_headers=secret_headers)
            self.target = Target(player.base_url, "replay-no-key-0000000000")
            self.session = Session(
                self.profile, self.target.key, player.base_url, client=player, settings=settings
            )
            player.budget = self.session.budget
        else:
            self.target = self._stack.enter_context(
                open_target(self.profile, settings.mock_fault, settings.against_mock)
            )
            self.session = Session(
                self.profile, self.target.key, self.target.base_url, settings=settings
            )
            if settings.against_mock:
                self.session.budget.requests_per_second = None  # the provider's pace, not ours
        self._stack.callback(self.session.close)
        if self.shared is not None:
            self.shared.adopt(self.session)
        self.redactor = Redactor([self.target.key], secret_headers)
        if settings.record is not None:
            self.session.client = RecordingClient(
                self.session.client,
                settings.record,
                self.redactor,
                provider=self.profile.name,
                meta={"seed": settings.seed},
            )
        expected = expectations_mod.load(self.profile.name, self.profile.home)
        self.engine = Engine(self.profile, self.session, expectations=expected)
        if not settings.no_report:
            out = settings.out or REPORTS
            self.recorder = RunRecorder(out, self.profile.name, self._header(), self.redactor)
        try:
            self.abort_reason = smoke_gate(self.session, self.profile, cases)
        except BudgetExhausted as exc:  # a budget shared with earlier models can be spent already
            self.abort_reason = f"budget: {exc}"
        if self.abort_reason:
            self._abort(self.abort_reason)
            return
        # A replay probes one case at a time: a request sent twice takes its answers in order.
        workers = 1 if settings.replay is not None else self.profile.limits.concurrency
        self.prober = Prober(self.engine, self.session, cases, workers)

    def _header(self) -> dict[str, Any]:
        settings = self.settings
        return {
            **compute_hashes(),
            "provider": self.profile.name,
            "profile": self.profile.redacted(),
            "model": self.profile.model(),
            "seed": settings.seed,
            "strict": settings.strict,
            "target": "mock"
            if self.profile.kind == "mock" or settings.against_mock
            else self.target.base_url,
            "mock_fault": settings.mock_fault,
            "argv": self.redactor.value(list(settings.argv)),
            "limits": self.run_limits.as_record(),
        }

    @property
    def run_limits(self) -> RunLimits:
        assert self.settings.limits is not None, "from_config sets the run's limits"
        return self.settings.limits

    def limits_line(self) -> str:
        return f"msgconform: {self.profile.name}: {self.run_limits.line()}"

    def start_case(self, case: Case) -> CaseResult:
        try:
            return self.prober.start(case)
        except BudgetExhausted as exc:
            self._abort(f"budget: {exc}")
            return CaseResult(case, "ERROR", 0.0, str(exc))

    def finish_case(self, pending: CaseResult) -> CaseResult:
        return self.prober.annotate(self.engine.finish(pending))

    def record(self, result: CaseResult) -> None:
        self.results.append(result)
        if self.recorder is not None:
            extra = feature_fields(result.context) | self.prober.record_extra(result)
            self.recorder.case(case_record(result) | extra)
        self._check_error_ratio()

    def _check_error_ratio(self) -> None:
        judged = [r for r in self.results if r.outcome != "SKIP"]
        errors = sum(r.outcome == "ERROR" for r in judged)
        ratio = self.profile.limits.error_abort_ratio
        if len(judged) >= MIN_CASES_BEFORE_ERROR_ABORT and errors / len(judged) > ratio:
            self._abort(f"{errors} of {len(judged)} cases ended in ERROR (limit {ratio:.0%})")

    def _abort(self, reason: str) -> None:
        self.abort_reason = self.abort_reason or reason

    def close(self) -> None:
        if prober := getattr(self, "prober", None):
            prober.close()
        if self.recorder is not None:
            self.run_dir = self.recorder.finish(self.abort_reason is not None, self.abort_reason)
            self.recorder = None
            publish(self.run_dir)
            if self.shared is not None:
                self.shared.run_dirs.append(self.run_dir)
        self._stack.close()

    def counts(self) -> Counter[str]:
        return Counter(r.outcome for r in self.results)

    def exit_status(self) -> int:
        return exit_status((r.outcome for r in self.results), bool(self.abort_reason))

    def progress_line(self, result: CaseResult, total: int) -> str:
        """What a person watching a live run wants: where it is, what it costs, when it ends."""
        done = len(self.results)
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done) if done else 0.0
        budget = self.session.budget
        return (
            f"[{done:>3}/{total}] {result.outcome:<10} {result.case.test_id}  "
            f"· {budget.requests} req · {budget.output_tokens} tok · ETA {eta:.0f}s"
        )

    def summary_lines(self) -> list[str]:
        counts = self.counts()
        shown = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
        budget = self.session.budget
        lines = [
            f"msgconform: {self.profile.name} ({self.profile.model()}): {shown or 'no cases'}",
            f"msgconform: {budget.requests} requests, {budget.output_tokens} output tokens, "
            f"{time.monotonic() - self.started:.1f}s, seed {self.settings.seed or 'derived'}",
        ]
        lines += findings.summary_lines(findings.of_results(self.results))
        if self.abort_reason:
            lines.append(f"msgconform: run aborted: {self.abort_reason}")
        if run_dir := getattr(self, "run_dir", None):
            lines.append(f"msgconform: report {run_dir}/report.html")
        return lines
