"""A real server over HTTP, in each mode: embedded (``pipeline serve`` on SQLite,
inline projections) and production (gunicorn + a separate worker, PostgreSQL, Redis)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import support


@dataclass
class Api:
    mode: str
    base: str

    def get(self, path: str, **kwargs):  # type: ignore[no-untyped-def]
        return support.request("GET", self.base + path, **kwargs)

    def post(self, path: str, body=None, **kwargs):  # type: ignore[no-untyped-def]
        return support.request("POST", self.base + path, body, **kwargs)

    def head_of_log(self) -> int:
        status, _, body = self.get("/api/v1/projections")
        assert status == 200
        return body["items"][0]["head"]


@pytest.fixture(scope="module", params=["embedded", "production"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    workdir = tmp_path_factory.mktemp(request.param)
    if request.param == "embedded":
        env = support.pipeline_env()  # the defaults: ./var/pipeline.sqlite3 in the working directory
        support.run_cli("init", env=env, cwd=workdir)
        with support.server(env, workdir / "server.log", cwd=workdir) as base:
            yield Api("embedded", base)
        return
    request.getfixturevalue("redis_available")
    template = request.getfixturevalue("pg_template")
    url = support.create_database(template=template)
    env = support.pipeline_env(DATABASE_URL=url, REDIS_URL=support.REDIS_URL,
                               PIPELINE_QUEUE=f"e2e-{uuid.uuid4().hex[:8]}", WEB_CONCURRENCY="2")
    support.run_cli("init", env=env)
    worker = support.Process(["worker"], env, Path(workdir) / "worker.log")
    try:
        with support.server(env, workdir / "server.log") as base:
            yield Api("production", base)
    finally:
        worker.stop()
        support.drop_database(url)
