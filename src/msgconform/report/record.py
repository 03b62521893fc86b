"""The run record: reports/<provider>/<stamp>/results.jsonl, and every view rendered from it."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import jsonschema

from msgconform import __version__
from msgconform.core.datafiles import display, json_path, meta_schema
from msgconform.core.errors import ConfigError
from msgconform.core.paths import ROOT, SCHEMAS, SUITES
from msgconform.core.redact import Redactor
from msgconform.report import findings
from msgconform.report.bounded import bound_case

RECORD_VERSION = 1
RESULTS = "results.jsonl"
LATEST = "latest"
OUTCOMES = ("PASS", "FAIL", "NON-STRICT", "XFAIL", "XPASS", "SKIP", "ERROR")
# The denominator of the pass rate: verdicts only. SKIP, XFAIL and ERROR say nothing either way.
JUDGED = ("PASS", "FAIL", "NON-STRICT", "XPASS")
PASS_RATE_RULE = (
    "pass rate = PASS / (PASS + FAIL + NON-STRICT + XPASS); SKIP, XFAIL, ERROR excluded"
)
VERSIONED_PACKAGES = ("anthropic", "schemathesis", "httpx")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def pass_rate(counts: Mapping[str, int]) -> float | None:
    judged = sum(counts.get(o, 0) for o in JUDGED)
    return counts.get("PASS", 0) / judged if judged else None


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.0f}%"


@dataclass
class Run:
    header: dict[str, Any]
    cases: list[dict[str, Any]]
    footer: dict[str, Any] | None
    path: Path = field(default_factory=Path)

    @property
    def provider(self) -> str:
        return str(self.header["provider"])

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    @property
    def stamp(self) -> str:
        return self.run_dir.name

    def counts(self) -> dict[str, int]:
        found = Counter(str(c["outcome"]) for c in self.cases)
        return {o: found.get(o, 0) for o in OUTCOMES}

    def pass_rate(self) -> float | None:
        return pass_rate(self.counts())

    def areas(self) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for case in self.cases:
            grouped.setdefault(str(case["area"]), []).append(case)
        return grouped


# ---- loading -------------------------------------------------------------------------------


def results_path(path: Path) -> Path:
    """A run dir, its results.jsonl, or reports/<provider>/latest (symlink or text file)."""
    if path.is_dir():
        path = path / RESULTS
    elif path.name == LATEST and path.is_file():
        target = path.read_text(encoding="utf-8").strip()
        path = path.parent / target / RESULTS
    if not path.is_file():
        raise ConfigError(display(path), "no run record here", f"a run directory or {RESULTS}")
    # Through `latest` to the stamped directory, so a run is always named by its stamp.
    return path.resolve()


@cache
def line_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(meta_schema("run-record"))


def parse_line(path: Path, number: int, text: str) -> dict[str, Any]:
    where = f"{display(path)}:{number}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(where, f"not JSON: {exc.msg}") from None
    error = jsonschema.exceptions.best_match(line_validator().iter_errors(data))
    if error is not None:
        raise ConfigError(f"{where}: {json_path(error.absolute_path)}", error.message)
    if not isinstance(data, dict):  # pragma: no cover - the schema requires an object
        raise ConfigError(where, "not an object")
    return data


def load_run(path: Path) -> Run:
    """Read and validate a run record; a bad line gives one ConfigError naming file and line."""
    path = results_path(Path(path))
    try:
        # Split on "\n" only: str.splitlines() also splits on U+2028, U+0085 and friends, which
        # json.dumps(ensure_ascii=False) leaves raw inside strings (fuzzed bodies contain them).
        lines = path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError:
        raise ConfigError(display(path), "not UTF-8 text") from None
    records = [(n, parse_line(path, n, t)) for n, t in enumerate(lines, 1) if t.strip()]
    if not records or records[0][1]["kind"] != "header":
        raise ConfigError(f"{display(path)}:1", "the first line is not the header")
    run = Run(records[0][1], [], None, path)
    for number, record in records[1:]:
        if run.footer is not None or record["kind"] == "header":
            raise ConfigError(f"{display(path)}:{number}", f"unexpected {record['kind']} line")
        if record["kind"] == "footer":
            run.footer = record
        else:
            run.cases.append(record)
    return run


# ---- the header ----------------------------------------------------------------------------


def tree_hash(paths: Iterable[Path], base: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def compute_hashes(suites: Path = SUITES, schemas: Path = SCHEMAS) -> dict[str, str]:
    """What the run was judged by: the cases, the contract documents, and the clause registry.

    schemas/meta/ is excluded: it describes our own files, not the API."""
    clauses = schemas / "clauses.yaml"
    contract = [
        p for p in schemas.rglob("*") if p != clauses and not p.is_relative_to(schemas / "meta")
    ]
    return {
        "suite_hash": tree_hash(suites.rglob("*"), suites),
        "schema_hash": tree_hash(contract, schemas),
        "clauses_hash": tree_hash([clauses], schemas),
    }


def git_revision(root: Path = ROOT) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "msgconform": __version__}
    for name in VERSIONED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    found.setdefault("httpx", "absent")
    return found


def build_header(
    provider: str,
    profile: Mapping[str, Any],
    *,
    model: str | None,
    seed: int | None = None,
    strict: bool = False,
    argv: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything a header needs; the recorder redacts it before writing."""
    return {
        "kind": "header",
        "record_version": RECORD_VERSION,
        "msgconform_version": __version__,
        "git_revision": git_revision(),
        **compute_hashes(),
        "provider": provider,
        "profile": dict(profile),
        "model": model,
        "seed": seed,
        "strict": strict,
        "versions": versions(),
        "started_at": iso(utc_now()),
        "argv": list(argv),
    }


def header_defaults(given: Mapping[str, Any]) -> dict[str, Any]:
    """What a caller's header may leave out; hashing the tree only when the caller did not."""
    defaults: dict[str, Any] = {
        "kind": "header",
        "record_version": RECORD_VERSION,
        "msgconform_version": __version__,
        "git_revision": git_revision() if "git_revision" not in given else None,
        "profile": {},
        "model": None,
        "seed": None,
        "strict": False,
        "versions": versions(),
        "started_at": iso(utc_now()),
        "argv": [],
    }
    if not {"suite_hash", "schema_hash", "clauses_hash"} <= given.keys():
        defaults.update(compute_hashes())
    return defaults


# ---- writing -------------------------------------------------------------------------------


def make_run_dir(provider_dir: Path, moment: datetime) -> Path:
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    provider_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 100):
        run_dir = provider_dir / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        return run_dir
    raise ConfigError(display(provider_dir), f"too many runs stamped {stamp}")


def point_latest(run_dir: Path) -> None:
    """Aim <provider>/latest at the run: a relative symlink, or a text file where links fail."""
    latest = run_dir.parent / LATEST
    temp = run_dir.parent / f".{LATEST}.{os.getpid()}"
    try:
        temp.unlink(missing_ok=True)
        temp.symlink_to(run_dir.name, target_is_directory=True)
    except OSError:
        temp.write_text(run_dir.name + "\n", encoding="utf-8")
    if latest.is_dir() and not latest.is_symlink():
        raise ConfigError(display(latest), "is a directory; remove it so it can point at the run")
    os.replace(temp, latest)


class RunRecorder:
    """Writes results.jsonl line by line, so an interrupted run keeps every finished case."""

    def __init__(
        self, out_root: Path, provider: str, header: Mapping[str, Any], redactor: Redactor
    ) -> None:
        self.redactor = redactor
        self._started = time.monotonic()
        self._run_dir = make_run_dir(Path(out_root) / provider, utc_now())
        self._counts: Counter[str] = Counter()
        self._requests = 0
        self._tokens = 0
        self._judged: list[dict[str, Any]] = []  # what the footer's findings are grouped from
        full = {**header_defaults(header), **header, "provider": provider}
        self._file: TextIO = (self._run_dir / RESULTS).open("w", encoding="utf-8", buffering=1)
        self._write(full)

    @property
    def run_dir(self) -> Path:
        return self._run_dir

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        if self._file.closed:
            return
        if exc is None:
            self.finish()
        else:
            self.finish(aborted=True, abort_reason=f"{kind.__name__ if kind else 'error'}: {exc}")

    def close(self) -> None:
        """Stop writing without a footer (what a killed run leaves behind)."""
        self._file.close()

    def _write(self, record: Mapping[str, Any]) -> None:
        clean = self.redactor.value(record)
        # ASCII escapes keep lone surrogates (fuzzed strings) writable and lines splittable.
        self._file.write(json.dumps(clean, default=str) + "\n")

    def case(self, result: Mapping[str, Any]) -> None:
        # Bounding after redacting, so a cut never leaves a key's first half behind.
        line = bound_case({"kind": "case", **self.redactor.value(result)})
        self._counts[str(line.get("outcome"))] += 1
        self._requests += int(line.get("requests", 0))
        self._tokens += int(line.get("output_tokens", 0))
        if line.get("failures") or line.get("notices"):
            kept = ("id", "outcome", "failures", "notices")
            self._judged.append({k: line.get(k) for k in kept})
        self._write(line)

    def finish(self, aborted: bool = False, abort_reason: str | None = None) -> Path:
        """Write the footer and point `latest` here; report.write renders the views."""
        self._write(
            {
                "kind": "footer",
                "counts": {o: self._counts.get(o, 0) for o in OUTCOMES},
                "ended_at": iso(utc_now()),
                "aborted": aborted,
                "abort_reason": abort_reason,
                "requests": self._requests,
                "output_tokens": self._tokens,
                "duration_s": round(time.monotonic() - self._started, 3),
                "findings": [f.record() for f in findings.collect(self._judged)],
            }
        )
        self._file.close()
        point_latest(self._run_dir)
        return self._run_dir
