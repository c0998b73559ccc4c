"""A production stack (gunicorn + `pipeline worker`, PostgreSQL, Redis) per fault test,
on a fresh database, with whatever Redis or database address the test puts in between."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from domain.application import OrganisationRef
from tests import support
from tests.factories import PASSWORD
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings


@dataclass
class Stack:
    settings: Settings  # straight to the real database and Redis, for checks
    env: dict[str, str]  # what the server and workers run with
    workdir: Path
    runtime: Runtime
    base: str = ""
    processes: list[support.Process] = field(default_factory=list)
    exits: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        return support.request(method, self.base + path, body, **kwargs)

    def start_worker(self, name: str = "worker", **extra: str) -> support.Process:
        worker = support.Process(["worker"], {**self.env, **extra}, self.workdir / f"{name}.log")
        self.processes.append(worker)
        return worker

    def start_server(self) -> str:
        self.base = self.exits.enter_context(support.server(self.env, self.workdir / "server.log"))
        return self.base

    def member(self, code: str) -> tuple[Any, str]:
        """A verified member of council ``code`` and a session token for them."""
        person = self.runtime.app.sign_up(
            name=f"Member of {code}",
            email=f"{uuid.uuid4().hex[:12]}@example.gov.uk",
            job_title=None,
            organisation=OrganisationRef(code=code),
            password=PASSWORD,
        ).aggregate
        self.runtime.app.verify_email(person.id)
        self.runtime.app.approve_member(person.organisation_id, person.id, actor=None)  # as an operator would
        token, _ = self.runtime.sessions.start(person.id)
        return person, token

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("*.log")))


@pytest.fixture
def make_stack(pg_template: str, redis_available: None, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    made: list[Stack] = []
    urls: list[str] = []

    def make(*, db_port: int | None = None, redis_url: str | None = None, **env: str) -> Stack:
        """``db_port``: where the server and workers reach PostgreSQL (a proxy), if not direct."""
        url = support.create_database(template=pg_template)
        urls.append(url)
        queue = f"faults-{uuid.uuid4().hex[:8]}"
        settings = Settings(
            database_url=url, redis_url=support.REDIS_URL, queue_name=queue, secret_key=support.SECRET_KEY
        )
        process_env = support.pipeline_env(
            DATABASE_URL=_with_port(url, db_port) if db_port else url,
            REDIS_URL=redis_url or support.REDIS_URL,
            PIPELINE_QUEUE=queue,
            PIPELINE_OUTBOX_DIR=str(tmp_path / "outbox"),
            PIPELINE_RATE_LIMITS="off",  # the limiter's own outage behaviour is tested beside it
            WEB_CONCURRENCY="2",
            **env,
        )
        stack = Stack(settings, process_env, tmp_path, build_runtime(settings))
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.exits.close()
        for process in stack.processes:
            process.stop()
        stack.runtime.close()
    for url in urls:
        support.drop_database(url)


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{port}"))


# ------------------------------------------------------------------ the race suite
@pytest.fixture(params=["sqlite", "pg"])
def race_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """One runtime per database for ``tests/faults/test_races_*``: the same settings as
    ``any_runtime`` but with the rate limits off (a race needs many tries from one address)
    and mail written under the test's own folder."""
    base: Settings = request.getfixturevalue(f"{request.param}_settings")
    settings = dataclasses.replace(base, rate_limits=False, outbox_dir=str(tmp_path / "outbox"))
    runtime = build_runtime(settings)
    yield runtime
    runtime.close()
