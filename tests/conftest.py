"""Fixtures. Integration and end-to-end tests use the real PostgreSQL and Redis on
this machine; a fresh database per test (copied from an initialised template) and
a fresh queue name per test mean nothing needs resetting between tests."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import smtp, support
from workers.runtime.bootstrap import Runtime, build_runtime, initialise
from workers.runtime.settings import Settings

# A test's tier is the folder it lives in: `pytest -m unit` selects exactly tests/unit. The red
# team's tests (real PostgreSQL and Redis, in-process) belong to the integration tier.
TIERS = {"unit": "unit", "integration": "integration", "redteam": "integration", "e2e": "e2e"}
TIERS |= {"faults": "faults", "browser": "browser"}
TESTS = Path(__file__).resolve().parent


def tier_of(path: Path) -> str | None:
    try:
        folder = path.resolve().relative_to(TESTS).parts[0]
    except ValueError:
        return None
    return TIERS.get(folder)


STARTED = time.time()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if any test wrote under the checkout's ./var/ (the embedded defaults), a
    folder every parallel test process would share. xdist's controller checks, not each worker."""
    if hasattr(session.config, "workerinput"):
        return
    written = support.written_under(support.ROOT / "var", STARTED)
    if written:
        names = ", ".join(str(path.relative_to(support.ROOT)) for path in written[:5])
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            why = f"{len(written)} files written under ./var/ by this run (first: {names})"
            reporter.write_line(f"{why}: give the test's settings a folder of its own", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its folder's tier, and refuse a test marked with another tier
    (the mark would make `-m <tier>` select tests from outside that folder)."""
    for item in items:
        tier = tier_of(item.path)
        others = {mark.name for mark in item.iter_markers() if mark.name in TIERS.values()} - {tier}
        if others:
            raise pytest.UsageError(f"{item.nodeid} is marked {sorted(others)} but is in the {tier} tier")
        if tier:
            item.add_marker(tier)


@pytest.fixture(scope="session")
def postgres_available() -> None:
    problem = support.postgres_problem()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def redis_available() -> None:
    problem = support.redis_problem()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def pg_template(postgres_available: None) -> Iterator[str]:
    """A database with tables created and the register loaded, to copy from."""
    url = support.create_database()
    initialise(Settings(database_url=url, secret_key=support.SECRET_KEY))
    yield url.rpartition("/")[2]
    support.drop_database(url)


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    url = support.create_database(template=pg_template)
    yield url
    support.drop_database(url)


@pytest.fixture
def queue_name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def pg_settings(pg_url: str, redis_available: None, queue_name: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=pg_url,
        redis_url=support.REDIS_URL,
        queue_name=queue_name,
        read_wait_seconds=2.0,
        secret_key=support.SECRET_KEY,
        outbox_dir=str(tmp_path / "outbox"),  # not ./var/outbox: shared by every test and never emptied
    )


@pytest.fixture
def pg_runtime(pg_settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(pg_settings)
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding what `initialise` leaves in the embedded mode (the database, with its
    tables and the register, and the key file beside it), made once per test process: loading
    the register takes half a second, copying the files a millisecond."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    initialise(Settings(database_url=f"sqlite:///{folder}/pipeline.sqlite3", outbox_dir=str(folder / "outbox")))
    return folder


@pytest.fixture
def sqlite_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    for made in sqlite_template.iterdir():  # every connection is closed: the database and its key file
        if made.is_file() and not made.name.endswith("-shm"):
            shutil.copy2(made, tmp_path / made.name)
    return Settings(
        database_url=f"sqlite:///{tmp_path}/pipeline.sqlite3",
        read_wait_seconds=1.0,
        outbox_dir=str(tmp_path / "outbox"),
    )


@pytest.fixture
def sqlite_runtime(sqlite_settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(sqlite_settings)
    yield runtime
    runtime.close()


@pytest.fixture(params=["sqlite", "pg"])
def any_runtime(request: pytest.FixtureRequest) -> Runtime:
    """The same test in both modes: embedded (SQLite, inline) and production (PostgreSQL + RQ)."""
    return request.getfixturevalue(f"{request.param}_runtime")


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    mine = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "PIPELINE_QUEUE": settings.queue_name,
        "PIPELINE_OUTBOX_DIR": settings.outbox_dir,  # the test's own, as its runtime's
    }
    return support.pipeline_env(**(mine | extra))


@pytest.fixture
def smtp_server() -> Iterator[tuple[smtp.Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free port: its inbox and port."""
    with smtp.running() as server:
        yield server
