"""Many models in one run: `--model` repeated and `--models all`; a record per model from one
process sharing the budget and seed; one comparison with the models side by side."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path

import pytest

from msgconform.cli import build_parser, main
from msgconform.commands import run as runner_cli
from msgconform.core import profiles
from msgconform.core.errors import ConfigError
from msgconform.report.record import load_run
from msgconform.runner import models
from msgconform.transport.session import Session


def test_two_models_write_two_records_and_one_comparison(tmp_path: Path) -> None:
    argv = ["run", "--provider", "baseten", "--against-mock", "--model", "A", "--model", "B"]
    assert main([*argv, "--only", "auth", "--out", str(tmp_path), "-q"]) == 0
    runs = [load_run(d) for d in sorted(models.run_dirs(tmp_path, "baseten"))]
    assert [r.header["model"] for r in runs] == ["A", "B"]
    assert runs[0].header["seed"] == runs[1].header["seed"]
    table = (tmp_path / "compare.md").read_text()
    assert "baseten · A" in table
    assert "baseten · B" in table
    assert (tmp_path / "compare.html").is_file()


def test_models_all_takes_the_profile_list() -> None:
    baseten = profiles.load("baseten")
    assert models.resolve(baseten, [], every=True) == list(baseten.model_list)


def test_models_all_asks_v1_models_where_the_profile_lists_none() -> None:
    mock = profiles.load("mock")
    found = models.resolve(mock, [], every=True)
    assert set(found) == set(mock.models.values())


def test_models_all_without_a_list_or_an_endpoint_is_one_clear_error() -> None:
    generic = profiles.load("generic", {"base_url": "http://127.0.0.1:9"})
    with pytest.raises(ConfigError, match="lists no models"):
        models.resolve(generic, [], every=True)


def test_repeated_models_run_once_each_in_order() -> None:
    baseten = profiles.load("baseten")
    assert models.resolve(baseten, ["B", "A", "B"], every=False) == ["B", "A"]
    assert models.resolve(baseten, [], every=False) == [baseten.model()]


def test_every_model_spends_one_budget() -> None:
    mock = profiles.load("mock")
    shared = models.SharedRun()
    first = Session(mock, "sk-test-0123456789", "http://127.0.0.1:9")
    second = Session(mock, "sk-test-0123456789", "http://127.0.0.1:9")
    try:
        shared.adopt(first)
        shared.adopt(second)
        assert second.budget is first.budget
        assert getattr(second.client, "budget", None) is first.budget
    finally:
        first.close()
        second.close()


def test_the_plugin_runs_one_model_with_the_shared_seed() -> None:
    flags = ["--model", "A", "--model", "B", "--models", "all", "--seed", "1", "--out", "o"]
    assert models.one_model_flags(flags, "B", 7) == ["--out", "o", "--model", "B", "--seed", "7"]


def test_one_cassette_cannot_hold_several_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--provider", "mock", "--model", "A", "--model", "B"]
    assert main([*argv, "--record", str(tmp_path / "c.jsonl"), "-q"]) == 2
    assert "one cassette holds one model's run" in capsys.readouterr().err


def test_without_model_flags_the_profile_keeps_its_own_models() -> None:
    # No --model: the plugin gets none, so a profile's small model stays small.
    args = build_parser().parse_args(["run", "--provider", "baseten"])
    assert "--model" not in runner_cli.pytest_args("baseten", args)
    args = build_parser().parse_args(["run", "--provider", "baseten", "--model", "A"])
    assert runner_cli.pytest_args("baseten", args, "A").count("--model") == 1
    # Another command's single-valued --model (msgconform features) reaches the plugin as is.
    args.model = "B"
    argv = runner_cli.pytest_args("baseten", args)
    assert argv[argv.index("--model") + 1] == "B"


def test_models_share_a_seed_only_when_one_is_asked_for() -> None:
    # Without --seed or --explore each run derives its seed from the suite: the same for all.
    assert models.SharedRun.for_args(Namespace(seed=None, explore=False)).seed is None
    assert models.SharedRun.for_args(Namespace(seed=5, explore=False)).seed == 5
    assert models.SharedRun.for_args(Namespace(seed=None, explore=True)).seed is not None
