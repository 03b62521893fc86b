"""The pytest plugin: suites/<area>/cases.yaml become test items run against one provider.

`msgconform run` and plain `pytest suites --provider NAME` are the same run. Outcomes are graded by
the engine (PASS, FAIL, NON-STRICT, XFAIL, XPASS, SKIP, ERROR) and mapped onto pytest's: probing
happens in setup (so transport trouble is a pytest ERROR), judging in the call phase.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from msgconform.core.cases import FEATURES_FILE, Case, load_area, select
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SUITES
from msgconform.runner.engine import CaseResult
from msgconform.runner.options import add_pytest_options
from msgconform.runner.run import RunContext

# The msgconform_mock fixture for client libraries' own tests (inert until a test asks for it).
pytest_plugins = ["msgconform.runner.fixture"]

RUN_KEY = pytest.StashKey[RunContext]()
# logfinish gets no config; the run in progress is kept here (one per pytest session).
_ACTIVE: list[RunContext] = []


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(parser: pytest.Parser) -> Iterator[None]:
    # The options come after the project's own conftests (and other plugins): one of those that
    # already defines, say, --model or --base-url keeps it, and the suite reads it by that name.
    yield
    add_pytest_options(parser)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    # Loaded by a conftest's pytest_plugins, the plugin arrives after the hook above has run.
    config = pluginmanager.get_plugin("pytestconfig")
    known = getattr(config, "known_args_namespace", None)
    if getattr(known, "confcutdir", None) is not None:
        add_pytest_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too, so the suite runs the same from any directory or ini file.
    config.addinivalue_line("markers", "clause(id): the clause IDs a case enforces")
    if asks_for_suite(config) and config.args_source != pytest.Config.ArgsSource.ARGS:
        # `pytest --provider mock` from any directory runs the bundled suite (installed with
        # the package); without --provider or --profile the plugin collects nothing.
        config.args = [str(SUITES)]


def asks_for_suite(config: pytest.Config) -> bool:
    return bool(config.getoption("provider", None) or config.getoption("profile", None))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    named = file_path.name.startswith("cases") or file_path.name == FEATURES_FILE
    if file_path.suffix == ".yaml" and named and _in_suites(file_path):
        return CasesFile.from_parent(parent, path=file_path)
    return None


def _in_suites(path: Path) -> bool:
    return SUITES.resolve() in path.resolve().parents


class CasesFile(pytest.File):
    def collect(self) -> Iterator[CaseItem]:
        try:
            cases = load_area(self.path)
        except ConfigError as exc:
            raise pytest.UsageError(exc.line()) from None
        only = self.config.getoption("only")
        for case in select(cases, only):
            yield CaseItem.from_parent(self, name=case.test_id, case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.result: CaseResult | None = None
        for clause in case.clauses:
            self.add_marker(pytest.mark.clause(clause))

    def setup(self) -> None:
        run = self.config.stash[RUN_KEY]
        self.result = run.start_case(self.case)
        if self.result.outcome == "SKIP":
            pytest.skip(self.result.reason or "skipped")
        if self.result.outcome == "XFAIL":
            pytest.xfail(self.result.reason or "expected")
        if self.result.outcome == "ERROR":
            pytest.fail(describe(self.result), pytrace=False)

    def runtest(self) -> None:
        run = self.config.stash[RUN_KEY]
        assert self.result is not None
        self.result = run.finish_case(self.result)
        if self.result.outcome == "XFAIL":
            pytest.xfail(self.result.reason or "expected")
        if self.result.outcome in ("FAIL", "XPASS", "ERROR"):
            pytest.fail(describe(self.result), pytrace=False)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.case.test_id


def describe(result: CaseResult) -> str:
    head = f"{result.outcome}: {result.case.test_id} — {result.case.description}"
    if result.outcome == "ERROR":
        return f"{head}\n  not a conformance verdict: {result.reason}"
    if result.outcome == "XPASS":
        return (
            f"{head}\n  {result.reason}\n  remove the entry from the provider's expectations.yaml"
        )
    parts = [head, *(f.text() for f in result.failures)]
    for exchange in result.exchanges.values():
        rid = f" request-id {exchange.request_id}" if exchange.request_id else ""
        parts.append(f"  reproduce ({exchange.label}{rid}): {exchange.curl()}")
    return "\n".join(parts)


def pytest_collection_finish(session: pytest.Session) -> None:
    if not any(isinstance(item, CaseItem) for item in session.items):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    try:
        run = RunContext.from_config(session.config)
        if reporter is not None:  # before the first request, so a slow run explains itself
            reporter.write_line(run.limits_line())
        run.open([i.case for i in session.items if isinstance(i, CaseItem)])
    except ConfigError as exc:
        pytest.exit(f"msgconform: {exc.line()}", returncode=2)
    session.config.stash[RUN_KEY] = run
    run.reporter = reporter
    _ACTIVE.append(run)
    if run.abort_reason:
        # The smoke gate said no: send nothing more. The summary prints the one line why.
        session.items.clear()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    if isinstance(item, CaseItem) and item.result is not None:
        run = item.config.stash[RUN_KEY]
        run.record(item.result)
        if run.abort_reason:
            item.session.shouldstop = run.abort_reason
        if run.settings.progress or run.profile.is_live:
            run.pending_line = run.progress_line(item.result, len(item.session.items))


@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    """Print the progress line here: output during teardown would be captured."""
    if _ACTIVE and (run := _ACTIVE[-1]).pending_line:
        line, run.pending_line = run.pending_line, None
        reporter = run.reporter
        if reporter is not None:
            reporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    run.close()
    if run in _ACTIVE:
        _ACTIVE.remove(run)
    session.exitstatus = run.exit_status()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    run = terminalreporter.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    for line in run.summary_lines():
        terminalreporter.write_line(line)
