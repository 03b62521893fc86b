"""`msgconform validate`: lint the data (clauses, cases, profiles, expectations) as a PR gate."""

from __future__ import annotations

import argparse
import inspect
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from msgconform.checks import REGISTRY
from msgconform.checks.connection import NOTICE_CLAUSES
from msgconform.checks.invariants import INVARIANTS
from msgconform.contract.sources import sources_problems
from msgconform.core import clauses, expectations, profiles
from msgconform.core.cases import Case, load_all
from msgconform.core.datafiles import display, load_validated, load_yaml
from msgconform.core.errors import ConfigError
from msgconform.core.paths import PROVIDERS, SUITES
from msgconform.fuzz import regressions
from msgconform.runner.engine import CONTRACT_REQUIREMENTS
from msgconform.runner.probes import PROBES


def register(sub: Any) -> None:
    parser = sub.add_parser("validate", help="lint clauses, cases, profiles and expectations")
    parser.add_argument("--coverage", action="store_true", help="print the clause coverage table")
    parser.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    problems = list(find_problems())
    if args.coverage:
        print_coverage(load_all())
    for problem in problems:
        print(f"msgconform validate: {problem}")
    if not problems:
        count = len(clauses.registry())
        print(
            f"msgconform validate: ok ({count} clauses, {len(load_all())} cases, "
            f"{len(REGISTRY)} checks, {len(profiles.available())} profiles)"
        )
    return 1 if problems else 0


def find_problems() -> Iterator[str]:
    registry = clauses.registry()  # raises ConfigError on a malformed or duplicated registry
    cases = load_all()
    yield from case_problems(cases, registry)
    yield from double_grading_problems(cases)
    yield from check_problems(cases, registry)
    yield from uncovered_clauses(cases, registry)
    yield from profile_problems(cases)
    yield from profile_source_problems()
    yield from sources_problems()
    yield from regressions.problems()
    yield from client_battery_problems(registry)


def case_problems(cases: list[Case], registry: dict[str, clauses.Clause]) -> Iterator[str]:
    for case in cases:
        for clause in case.clauses:
            if clause not in registry:
                yield f"{case.test_id}: unknown clause {clause}"
        for requirement in case.requires:
            feature = requirement.lstrip("!")
            special = feature.startswith("version:") or feature in CONTRACT_REQUIREMENTS
            if not special and feature not in profiles.FEATURE_DEFAULTS:
                yield f"{case.test_id}: requires unknown feature {feature}"
        if case.probe not in PROBES:
            yield f"{case.test_id}: unknown probe {case.probe}"
        for name in sorted(set(case.invariants_off) - set(INVARIANTS)):
            yield f"{case.test_id}: invariants_off names unknown invariant {name}"
        for name, params in case.checks:
            spec = REGISTRY.get(name)
            if spec is None:
                yield f"{case.test_id}: unknown check {name}"
            elif (cited := params.get("clause")) and cited not in spec.clauses:
                yield f"{case.test_id}: check {name} does not enforce {cited}"
            elif unknown := unknown_params(spec.func, params):
                yield f"{case.test_id}: check {name} takes no parameter {', '.join(unknown)}"


def double_grading_problems(cases: list[Case]) -> Iterator[str]:
    """A case whose checks would grade one symptom twice (two checks that both give the verdict
    "served" or "refused" on the same exchange, e.g. a SHOULD refusal check beside a MUST one)
    grades it at two levels: refused. A 5xx is not among these symptoms: it is a FAIL whoever
    grades it."""
    for case in cases:
        seen: list[tuple[str, str | None, str]] = []
        for name, params in case.checks:
            spec = REGISTRY.get(name)
            label = params.get("label")
            for symptom in sorted(spec.grades) if spec else ():
                for other, other_label, other_symptom in seen:
                    same = label is None or other_label is None or label == other_label
                    if same and symptom == other_symptom:
                        yield (
                            f"{case.test_id}: checks {other} and {name} both grade a "
                            f"{symptom} request; one symptom is graded once"
                        )
                seen.append((name, label, symptom))


def unknown_params(func: Any, params: Mapping[str, Any]) -> list[str]:
    signature = inspect.signature(func)
    named = {
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    return sorted(set(params) - named - {"clause"})


def check_problems(cases: list[Case], registry: dict[str, clauses.Clause]) -> Iterator[str]:
    used = {name for case in cases for name, _ in case.checks}
    for name, spec in sorted(REGISTRY.items()):
        if not spec.clauses:
            yield f"check {name}: cites no clause"
        for clause in spec.clauses:
            if clause not in registry:
                yield f"check {name}: unknown clause {clause}"
        if name not in used:
            yield f"check {name}: no case uses it"


def uncovered_clauses(cases: list[Case], registry: dict[str, clauses.Clause]) -> Iterator[str]:
    for clause_id in NOTICE_CLAUSES:
        if clause_id not in registry:
            yield f"notices (checks/connection.py): unknown clause {clause_id}"
    # A notice's clause is judged on every exchange of every case (checks/connection.py).
    covered = {c for case in cases for c in case.clauses} | client_citations()
    covered |= set(NOTICE_CLAUSES)
    for clause_id in sorted(set(registry) - covered):
        yield f"clause {clause_id}: no case enforces it"


def profile_problems(cases: list[Case]) -> Iterator[str]:
    ids = {c.test_id for c in cases}
    prefixes = {p for c in cases for p in (c.area, f"{c.area}/{c.clauses[0]}")}
    for name in profiles.available():
        try:
            profiles.load(name, {"base_url": "http://localhost"} if name == "generic" else {})
            known = expectations.load(name)
        except ConfigError as exc:
            yield exc.line()
            continue
        for key in known:
            if key not in ids | prefixes and not any(ch in key for ch in "*?["):
                yield f"providers/{name}/expectations.yaml: {key}: no such case, clause or area"


# The provider facts a profile states: each needs a source in its `evidence:` mapping. The rest of
# a profile (target, key_env, models, limits) is how the suite runs, not a claim about the server.
FACT_SECTIONS = ("auth", "versions", "contract", "features")
NOT_FACTS = frozenset({"auth.key_env", "auth.extra_secret_headers", "contract.overlay"})


def profile_source_problems() -> Iterator[str]:
    """Every bundled profile fact names its source (document, section, date read)."""
    for name in profiles.available():
        path = PROVIDERS / name / "profile.yaml"
        data = load_yaml(path) or {}
        for fact in unsourced_facts(data):
            hint = f"add evidence.{fact}: {{doc, section, read}}"
            yield f"{display(path)}: {fact}: no source ({hint})"


def unsourced_facts(data: Mapping[str, Any]) -> list[str]:
    """The dotted paths of the facts in a profile that no evidence entry covers."""
    evidence = data.get("evidence") or {}
    return [fact for fact in profile_facts(data) if not covered(fact, evidence)]


def profile_facts(data: Mapping[str, Any]) -> list[str]:
    facts: list[str] = []
    for section in FACT_SECTIONS:
        value = data.get(section)
        if isinstance(value, Mapping):
            facts.extend(f"{section}.{key}" for key in value)
        elif value is not None:
            facts.append(section)
    return [fact for fact in facts if fact not in NOT_FACTS]


def covered(fact: str, evidence: Mapping[str, Any]) -> bool:
    """An evidence entry for a path covers the facts below it (`features` covers them all)."""
    parts = fact.split(".")
    return any(".".join(parts[:n]) in evidence for n in range(1, len(parts) + 1))


def print_coverage(cases: list[Case]) -> None:
    by_clause: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        for cited in case.clauses:
            by_clause[cited].append(case.test_id)
    for clause_id, entry in clauses.registry().items():
        found = by_clause.get(clause_id, [])
        print(f"{clause_id:11} {entry.level:6} {len(found):3} cases  {entry.title[:60]}")


# The client battery (msgconform.clients, a sibling package) is checked here as data only.
CLIENT_SUITE = SUITES / "clients"
CLIENT_DATA = (("*.yaml", "client-scenarios"), ("policies/*.yaml", "client-policy"),
               ("expectations/*.yaml", "expectations"))  # fmt: skip


def client_citations() -> set[str]:
    """The clauses the client scenarios (suites/clients/*.yaml) cite."""
    cited: set[str] = set()
    for path in sorted(CLIENT_SUITE.glob("*.yaml")):
        for entry in (load_yaml(path) or {}).get("scenarios", []):
            cited.update(entry.get("clauses", []))
    return cited


def client_battery_problems(registry: dict[str, clauses.Clause]) -> Iterator[str]:
    for pattern, meta in CLIENT_DATA:
        for path in sorted(CLIENT_SUITE.glob(pattern)):
            try:
                load_validated(path, meta)
            except ConfigError as exc:
                yield exc.line()
    for clause_id in sorted(client_citations() - set(registry)):
        yield f"{display(CLIENT_SUITE)}: unknown clause {clause_id}"
