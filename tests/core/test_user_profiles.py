"""Your own profile (--profile, MSGCONFORM_PROFILE_PATH, init-profile) and limits from flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msgconform.cli import main
from msgconform.core import expectations, limits, profiles
from msgconform.core.errors import ConfigError
from msgconform.mock.server import MockServer

KEY = "sk-user-profile-0123456789abcdef"


def init(tmp_path: Path, url: str, name: str = "mine") -> Path:
    assert main(["init-profile", name, "--base-url", url, "--dir", str(tmp_path)]) == 0
    path = tmp_path / name / "profile.yaml"
    text = path.read_text()  # the bundled mock has these endpoints: say so, as a user would
    for feature in ("count_tokens", "models_endpoint"):
        text = text.replace(f"{feature}: false", f"{feature}: true")
    path.write_text(text)
    return path


def test_init_profile_writes_a_commented_profile_that_loads(tmp_path: Path) -> None:
    path = init(tmp_path, "http://127.0.0.1:9/")
    profile = profiles.load(str(path))
    assert (profile.name, profile.base_url, profile.key_env) == (
        "mine", "http://127.0.0.1:9", "MINE_API_KEY"
    )  # fmt: skip
    assert profile.home == path.parent
    assert path.read_text().count("\n#") > 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["init-profile", "Bad Name", "--base-url", "http://x"], "not a profile name"),
        (["init-profile", "ok", "--base-url", "localhost:8000"], "is not a URL"),
        (["run", "--profile", "nowhere/profile.yaml", "--list"], "no such profile file"),
    ],
)
def test_bad_input_is_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_a_broken_profile_names_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = init(tmp_path, "http://127.0.0.1:9")
    path.write_text(path.read_text().replace("concurrency: 2", "concurrency: lots"))
    assert main(["run", "--profile", str(path), "--list"]) == 2
    assert "limits.concurrency" in capsys.readouterr().err


def test_profile_path_is_searched_first_and_expectations_sit_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = init(tmp_path, "http://127.0.0.1:9")
    (path.parent / "expectations.yaml").write_text(
        "auth/AUTH-006:\n  expected: NON-STRICT\n  reason: our gateway picks one header\n"
    )
    monkeypatch.setenv("MSGCONFORM_PROFILE_PATH", str(tmp_path))
    assert "mine" in profiles.available()
    profile = profiles.load("mine")
    assert profile.home == path.parent
    assert "auth/AUTH-006" in expectations.load(profile.name, profile.home)


def test_a_user_profile_runs_against_the_mock_unthrottled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with MockServer(profiles.load("mock"), KEY) as server:
        path = init(tmp_path, server.url)
        monkeypatch.setenv("MINE_API_KEY", KEY)
        argv = ["run", "--profile", str(path), "--only", "auth", "--out", str(tmp_path), "-q"]
        assert main(argv) == 0
    assert "limits: no rate limit (local target" in capsys.readouterr().out
    header = json.loads((tmp_path / "mine/latest/results.jsonl").read_text().splitlines()[0])
    assert header["limits"]["rate"] is None
    assert header["limits"]["concurrency"] == 2
    assert 'id="limits"' in (tmp_path / "mine/latest/report.html").read_text()


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://10.1.2.3", True),
        ("http://192.168.0.7:80", True),
        ("https://inference.baseten.co", False),
        ("http://8.8.8.8", False),
    ],
)
def test_local_targets_are_recognised_without_resolving_names(url: str, local: bool) -> None:
    assert limits.is_local(url) is local


def test_flags_change_the_limits_and_the_profile_carries_them() -> None:
    generic = profiles.load("generic", {"base_url": "https://example.com"})
    paced = limits.effective(generic, {}, to_mock=False)
    assert (paced.rate, paced.rate_reason) == (2, "the profile's")
    local = profiles.load("generic", {"base_url": "http://127.0.0.1:1"})
    assert limits.effective(local, {}, to_mock=False).rate is None
    asked = limits.effective(
        local, {"rate": 5, "concurrency": 3, "timeout_scale": 2.5}, to_mock=False
    )
    assert (asked.rate, asked.concurrency, asked.rate_reason) == (5, 3, "--rate")
    applied = limits.apply(local, asked)
    assert applied.limits.requests_per_second == 5
    assert applied.timeouts.first_byte == generic.timeouts.first_byte * 2.5
    assert limits.effective(generic, {"rate": 0}, to_mock=False).rate is None


@pytest.mark.parametrize(
    "flags", [{"rate": -1}, {"concurrency": 0}, {"max_requests": 0}, {"timeout_scale": 0}]
)
def test_out_of_range_limits_are_refused(flags: dict[str, float]) -> None:
    mock = profiles.load("mock")
    with pytest.raises(ConfigError):
        limits.effective(mock, flags, to_mock=True)


def test_max_requests_from_the_command_line_stops_the_run(tmp_path: Path) -> None:
    argv = ["run", "--provider", "mock", "--max-requests", "12", "--out", str(tmp_path), "-q"]
    assert main(argv) == 1
    header, *_, footer = (tmp_path / "mock/latest/results.jsonl").read_text().splitlines()
    assert json.loads(header)["limits"]["max_requests"] == 12
    assert "budget" in json.loads(footer)["abort_reason"]
