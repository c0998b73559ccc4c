"""The built package, as the Docker image installs it: a wheel built from the files the
Dockerfile copies, installed with its dependencies into a new virtualenv outside the
checkout, then run from a directory outside the checkout in both modes. Every other test
uses the editable install, so only this one notices a package or a data file the wheel
leaves out."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import support

pytestmark = pytest.mark.integration

PACKAGES = ("domain", "projections", "web", "workers")
# What the Dockerfile's builder stage copies, and so all the wheel is built from.
BUILD_INPUTS = ("pyproject.toml", "README.md", *PACKAGES)
DATA_FOLDERS = ("templates", "static", "data")  # beside a package's modules, read at run time
PASSWORD = "a long enough passphrase for the wheel"


@dataclass(frozen=True)
class Installed:
    venv: Path
    home: Path  # a working directory outside the checkout

    def pipeline(self) -> str:
        return str(self.venv / "bin" / "pipeline")


def _run(args: list[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 900) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built (as the Dockerfile's builder stage does) from a copy of the build
    inputs, so no build/ folder or stale file of the checkout can get into it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    left_out = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*")
    for name in BUILD_INPUTS:
        path = support.ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=left_out)
        else:
            shutil.copy2(path, source / name)
    dist = work / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "wheel", "--no-deps", "--wheel-dir", str(dist), str(source)], cwd=work)
    (built,) = dist.glob("pipeline-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel and its dependencies (from the package registry) in a new virtualenv.
    pip's cache makes this quick after the first run (PyICU compiles once). This test's pip
    installs into the new environment (which needs no pip of its own), and leaves the
    bytecode to be compiled on import: a third of the time, and nothing the run depends on."""
    work = tmp_path_factory.mktemp("installed")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "--disable-pip-version-check"]
    _run([*pip, "--quiet", "install", "--no-compile", str(wheel)], cwd=work)
    home = work / "home"
    home.mkdir()
    return Installed(venv, home)


def _outside_env(installed: Installed, **overrides: str) -> dict[str, str]:
    """The pipeline's environment with nothing in it that leads back to the checkout."""
    env = support.pipeline_env(**support.ROOMY_LIMITS, **overrides)
    for key in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"):
        env.pop(key, None)
    if "PIPELINE_OUTBOX_DIR" not in overrides:
        env.pop("PIPELINE_OUTBOX_DIR", None)  # the default, ./var/outbox under the home it runs in
    env["PATH"] = os.pathsep.join([str(installed.venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
    return env


@contextmanager
def _running(installed: Installed, command: str, env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [installed.pipeline(), command],
            cwd=installed.home,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)


@contextmanager
def _serving(installed: Installed, env: Mapping[str, str], log: Path) -> Iterator[str]:
    """``pipeline serve`` on a free port; yields its base URL once /readyz answers 200."""
    port = support.free_port()
    with _running(installed, "serve", {**env, "HOST": "127.0.0.1", "PORT": str(port)}, log) as proc:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"pipeline serve exited:\n{log.read_text(errors='replace')}"
            try:
                if support.request("GET", base + "/readyz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"/readyz never answered 200:\n{log.read_text(errors='replace')}"
            time.sleep(0.2)
        yield base


def _pages_and_assets_are_served(base: str) -> None:
    status, headers, page = support.request("GET", base + "/sign-up")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "govuk-template" in page and "/assets/vendor/govuk-frontend.min.css" in page
    for asset in (
        "/assets/vendor/govuk-frontend.min.css",
        "/assets/vendor/accessible-autocomplete.min.js",
        "/assets/pipeline.css",
        "/assets/fonts/bold-b542beb274-v2.woff2",
        "/assets/images/govuk-crest.svg",
    ):
        with urllib.request.urlopen(base + asset, timeout=30) as response:  # raises on an error status
            assert response.read() == (support.ROOT / "web/static" / asset.removeprefix("/assets/")).read_bytes()


def _sign_up_mails_a_verification_link(base: str, outbox: Path) -> None:
    address = f"wheel.{uuid.uuid4().hex[:8]}@example.gov.uk"
    body = {"name": "Whee Ler", "email": address, "password": PASSWORD, "organisation_code": "BNH"}
    assert support.request("POST", base + "/api/v1/people", body)[0] == 201

    def sent() -> str | None:
        mails = [path.read_text() for path in outbox.glob("*.eml")]
        return next((mail for mail in mails if f"To: {address}" in mail), None)

    mail = support.wait_until(sent, timeout=60, message=f"the verification email to {address}")
    assert "/verify-email?token=" in mail
    assert "Choose what Pipeline sends you" in mail  # the footer, from the email templates


def test_the_wheel_holds_every_package_and_its_data_and_nothing_else(wheel: Path) -> None:
    """Every package of the tree (a folder with an __init__.py) and every file under a
    package's templates/, static/ or data/ folder is in the wheel, wherever it sits."""
    wanted = set()
    for package in PACKAGES:
        for path in (support.ROOT / package).rglob("*"):
            parts = path.relative_to(support.ROOT).parts
            if not path.is_file() or any(part.startswith(".") or part == "__pycache__" for part in parts):
                continue
            if parts[-1] == "__init__.py" or any(part in DATA_FOLDERS for part in parts[:-1]):
                wanted.add("/".join(parts))
    assert "web/static/vendor/govuk-frontend.min.css" in wanted, "the GOV.UK assets are missing: run `make assets`"
    names = set(zipfile.ZipFile(wheel).namelist())
    assert sorted(wanted - names) == []
    tops = {name.split("/", 1)[0] for name in names}
    metadata = {top for top in tops if top.endswith(".dist-info")}
    assert len(metadata) == 1 and tops - metadata == set(PACKAGES), sorted(tops)


def test_the_installed_package_imports_from_the_virtualenv(installed: Installed) -> None:
    python = str(installed.venv / "bin" / "python")
    code = (
        "import sys, importlib.metadata, web, workers, domain, projections\n"
        "script = importlib.metadata.entry_points(group='console_scripts')['pipeline']\n"
        "script.load()\n"
        "print(*(p.__file__ for p in (web, workers, domain, projections)), sys.modules[script.module].__file__)"
    )
    places = _run([python, "-c", code], cwd=installed.home, env=_outside_env(installed)).split()
    assert len(places) == 5 and all(Path(place).is_relative_to(installed.venv) for place in places), places


def test_the_installed_package_runs_embedded(installed: Installed, tmp_path: Path) -> None:
    """SQLite, no Redis: the defaults, relative to the working directory."""
    env = _outside_env(installed)
    _run([installed.pipeline(), "init"], cwd=installed.home, env=env)
    with _serving(installed, env, tmp_path / "serve.log") as base:
        _pages_and_assets_are_served(base)
        _sign_up_mails_a_verification_link(base, installed.home / "var" / "outbox")


def test_the_installed_package_runs_in_production(
    installed: Installed, tmp_path: Path, postgres_available: None, redis_available: None
) -> None:
    """A new PostgreSQL database, Redis and its own queue; gunicorn and a worker."""
    url = support.create_database()
    try:
        outbox = tmp_path / "outbox"
        env = _outside_env(
            installed,
            DATABASE_URL=url,
            REDIS_URL=support.REDIS_URL,
            PIPELINE_QUEUE=f"wheel-{uuid.uuid4().hex[:8]}",
            PIPELINE_OUTBOX_DIR=str(outbox),
            WEB_CONCURRENCY="1",
        )
        _run([installed.pipeline(), "init"], cwd=installed.home, env=env)
        with (
            _running(installed, "worker", env, tmp_path / "worker.log"),
            _serving(installed, env, tmp_path / "serve.log") as base,
        ):
            _pages_and_assets_are_served(base)
            _sign_up_mails_a_verification_link(base, outbox)
    finally:
        support.drop_database(url)
