"""The built wheel, installed into a fresh virtual environment outside the checkout, works alone.

One build and one install per module (about 25 s warm): `python -m build` (sdist, then the wheel
from the sdist), `twine check`, then a venv without pip in a temporary directory, filled by this
environment's pip from a local wheelhouse (PyPI is asked only when the wheelhouse lacks a
dependency). Every command then runs from that directory with the checkout out of reach.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(sys.prefix) / "msgconform-wheelhouse"
CLIENT = "anthropic>=2,<3"
SCRUBBED = ("MSGCONFORM_HOME", "MSGCONFORM_PROFILE_PATH", "PYTHONPATH", "VIRTUAL_ENV",
            "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")  # fmt: skip


@dataclass(frozen=True)
class Installed:
    home: Path  # the empty working directory, outside the checkout
    bin: Path
    wheel: Path
    sdist: Path
    build_log: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        return {**env, "PATH": f"{self.bin}{os.pathsep}{env.get('PATH', '')}", **extra}

    def run(
        self, *argv: str, cwd: Path | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / argv[0]), *argv[1:]], cwd=cwd or self.home, env=self.env(**extra),
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)


def install(python: Path, wheel: Path) -> None:
    """Offline from the wheelhouse; on a miss, fill it from PyPI once and try again."""
    offline = ["--python", str(python), "install", "--quiet", "--no-compile", "--no-index",
               "--find-links", str(WHEELHOUSE), str(wheel), CLIENT]  # fmt: skip
    if pip(*offline).returncode == 0:
        return
    filled = pip("wheel", "--quiet", "--wheel-dir", str(WHEELHOUSE), str(wheel), CLIENT)
    assert filled.returncode == 0, filled.stderr[-2000:]
    for stale in WHEELHOUSE.glob("msgconform-*.whl"):
        stale.unlink()  # the wheel under test is always the one just built
    done = pip(*offline)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(base / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (wheel,) = (base / "dist").glob("*.whl")
    (sdist,) = (base / "dist").glob("*.tar.gz")
    install(venv / "bin" / "python", wheel)
    home = base / "project"
    home.mkdir()
    return Installed(home, venv / "bin", wheel, sdist, built.stdout + built.stderr)


def test_build_is_clean_and_twine_accepts_it(installed: Installed) -> None:
    assert not re.search(r"(?i)warn", installed.build_log), installed.build_log
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(installed.wheel),
         str(installed.sdist)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    names = zipfile.ZipFile(installed.wheel).namelist()
    for data in ("schemas/clauses.yaml", "providers/mock/profile.yaml", "suites/auth/cases.yaml"):
        assert f"msgconform/_data/{data}" in names
    metadata = zipfile.ZipFile(installed.wheel).read("msgconform-0.1.0.dist-info/METADATA")
    assert b"License-Expression: Apache-2.0" in metadata


def test_mock_run_passes_and_records_its_limits(installed: Installed) -> None:
    done = installed.run("msgconform", "run", "--provider", "mock", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "limits: no rate limit (the bundled mock)" in done.stdout
    header = (installed.home / "reports/mock/latest/results.jsonl").read_text().splitlines()[0]
    assert '"limits": {"rate": null' in header.replace('":{', '": {')


def test_list_faults_and_check_stream(installed: Installed, tmp_path: Path) -> None:
    faults = installed.run("msgconform", "mock", "--list-faults")
    assert faults.returncode == 0
    assert "drop_message_stop" in faults.stdout
    capture = tmp_path / "capture.sse"
    shutil.copy(ROOT / "tests/fixtures/sse/text.sse", capture)
    judged = installed.run("msgconform", "check-stream", str(capture))
    assert judged.returncode == 0, judged.stdout + judged.stderr
    assert "conforms" in judged.stdout


def test_plain_pytest_runs_the_suite_through_the_entry_point(installed: Installed) -> None:
    done = installed.run("python", "-m", "pytest", "--provider", "mock", "--only", "auth",
                         "-p", "no:cacheprovider")  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"msgconform: mock \(mock-sonnet\): \d+ PASS", done.stdout)
    idle = installed.run("python", "-m", "pytest", "-p", "no:cacheprovider")
    assert idle.returncode == 5, idle.stdout  # without --provider the plugin collects nothing


def test_a_user_profile_runs_against_the_mock(installed: Installed) -> None:
    key = "sk-user-profile-test-0123456789"
    with served_mock(installed, key) as url:
        made = installed.run("msgconform", "init-profile", "mine", "--base-url", url)
        assert made.returncode == 0, made.stderr
        profile = installed.home / "mine/profile.yaml"
        text = profile.read_text()  # as a user would: the mock has these endpoints
        for feature in ("count_tokens", "models_endpoint"):
            text = text.replace(f"{feature}: false", f"{feature}: true")
        profile.write_text(text)
        done = installed.run("msgconform", "run", "--profile", "mine/profile.yaml", "-q",
                             MINE_API_KEY=key)  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert "no rate limit (local target" in done.stdout
        by_name = installed.run("msgconform", "run", "--provider", "mine", "--only", "auth",
                                "-q", MINE_API_KEY=key, MSGCONFORM_PROFILE_PATH=".")  # fmt: skip
        assert by_name.returncode == 0, by_name.stdout[-2000:]


def test_the_sample_project_passes(installed: Installed) -> None:
    project = installed.home / "client-gate"
    shutil.copytree(ROOT / "examples/client-gate", project)
    done = installed.run("python", "-m", "pytest", "-p", "no:cacheprovider", cwd=project)
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(r"\b\d+ passed", done.stdout)


@contextmanager
def served_mock(installed: Installed, key: str) -> Iterator[str]:
    """`msgconform mock --port 0` from the installed package; yields its URL."""
    argv = [str(installed.bin / "msgconform"), "mock", "--port", "0", "--key", key]
    proc = subprocess.Popen(argv, cwd=installed.home, env=installed.env(),
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert found, line
        yield found.group(0)
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
