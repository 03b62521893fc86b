"""Profiles: every bundled profile validates; bad input gives one line naming file and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from msgconform.cli import main
from msgconform.core import profiles
from msgconform.core.datafiles import load_validated
from msgconform.core.errors import ConfigError
from msgconform.core.paths import PROVIDERS


@pytest.mark.parametrize("name", profiles.available())
def test_bundled_profile_validates(name: str) -> None:
    load_validated(PROVIDERS / name / "profile.yaml", "profile")


def test_profiles_hold_variable_names_never_keys() -> None:
    for name in profiles.available():
        text = (PROVIDERS / name / "profile.yaml").read_text()
        assert not re.search(r"sk-[A-Za-z0-9]|(Bearer|Api-Key) [A-Za-z0-9]{12,}", text), name


def test_baseten_profile_states_its_auth_schemes() -> None:
    baseten = profiles.load("baseten")
    assert baseten.accepted_schemes == ("bearer", "api-key")
    assert "x-api-key" in baseten.rejected_schemes
    assert baseten.key_env == "BASETEN_API_KEY"


def write_profile(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load((PROVIDERS / "baseten" / "profile.yaml").read_text())
    data.update(change)
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"auth": {"key_env": "BASETEN_API_KEY"}}, "auth"),
        ({"anthropic_version": "2024-01-01"}, "anthropic_version"),
        ({"features": {"streaming": "yes"}}, "features.streaming"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_malformed_profile_names_file_and_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    path = write_profile(tmp_path, change)
    with pytest.raises(ConfigError) as info:
        load_validated(path, "profile")
    line = info.value.line()
    assert "profile.yaml" in line
    assert field.split(".")[0] in line
    assert "\n" not in line


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("name: x\nauth: [unclosed\n")
    with pytest.raises(ConfigError, match=r"profile\.yaml:\d+: not valid YAML"):
        load_validated(path, "profile")


def test_unknown_provider_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--provider", "nosuch"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "unknown provider" in err
    assert "baseten" in err


def test_live_run_without_key_says_which_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BASETEN_API_KEY", raising=False)
    assert main(["run", "--provider", "baseten"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "BASETEN_API_KEY is not set" in err


def test_generic_profile_takes_its_target_from_flags() -> None:
    generic = profiles.load(
        "generic",
        {
            "base_url": "http://127.0.0.1:9/",
            "auth": "bearer",
            "key_env": "MY_KEY",
            "model": "m1",
            "features": "streaming,tools",
        },
    )
    assert generic.base_url == "http://127.0.0.1:9"
    assert generic.accepted_schemes == ("bearer",)
    assert generic.key_env == "MY_KEY"
    assert generic.model() == "m1"
    assert generic.has("tools")
    assert not generic.has("images")


def test_generic_profile_without_base_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no base URL"):
        profiles.load("generic")


def test_unknown_feature_flag_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown feature telepathy"):
        profiles.load("generic", {"base_url": "http://x", "features": "streaming,telepathy"})


def test_an_unnamed_feature_is_undeclared_not_absent() -> None:
    from msgconform.runner.engine import requirement_met

    flags = {"base_url": "http://x", "features": "streaming,tools"}
    generic = profiles.load("generic", flags)
    assert generic.declares("tools") is True
    assert generic.declares("count_tokens") is None
    assert not generic.has("count_tokens")  # cases that need it are skipped, as before
    assert not requirement_met("!count_tokens", generic)  # and no 404 is asserted
    baseten = profiles.load("baseten")
    assert baseten.declares("count_tokens") is False
    assert requirement_met("!count_tokens", baseten)


def test_the_feature_map_reports_an_undeclared_feature_as_information() -> None:
    from msgconform.features.declared import by_profile

    generic = profiles.load("generic", {"base_url": "http://x", "features": "streaming"})
    said, why = by_profile(generic, {"feature": "models_endpoint"})
    assert said is None
    assert "does not declare" in why
    assert by_profile(profiles.load("baseten"), {"feature": "count_tokens"})[0] is False


def test_every_bundled_profile_fact_names_its_source() -> None:
    from msgconform.commands.validate import profile_source_problems

    assert list(profile_source_problems()) == []


def test_validate_refuses_a_fact_without_a_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from msgconform.commands import validate

    data = yaml.safe_load((PROVIDERS / "baseten" / "profile.yaml").read_text())
    del data["evidence"]["contract.allows_prefill"]
    home = tmp_path / "baseten"
    home.mkdir()
    (home / "profile.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr(validate, "PROVIDERS", tmp_path)
    monkeypatch.setattr(validate.profiles, "available", lambda: ["baseten"])
    problems = list(validate.profile_source_problems())
    assert len(problems) == 1
    assert "profile.yaml" in problems[0]
    assert "contract.allows_prefill: no source" in problems[0]


def test_an_evidence_entry_covers_the_facts_below_it() -> None:
    from msgconform.commands.validate import unsourced_facts

    source = {"doc": "d", "section": "s", "read": "2026-12-04"}
    data = {"features": {"tools": True, "images": False}, "auth": {"key_env": "K", "accepted": []}}
    assert unsourced_facts({**data, "evidence": {"features": source}}) == ["auth.accepted"]
    assert unsourced_facts({**data, "evidence": {"features": source, "auth": source}}) == []


def test_a_source_without_a_read_date_is_refused(tmp_path: Path) -> None:
    path = write_profile(tmp_path, {"evidence": {"features": {"doc": "d", "section": "s"}}})
    with pytest.raises(ConfigError) as info:
        load_validated(path, "profile")
    assert "evidence" in info.value.line()
