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
    outbox: Path
    logs: list[Path]

    def request(self, method: str, path: str, body=None, **kwargs):  # type: ignore[no-untyped-def]
        return support.request(method, self.base + path, body, **kwargs)

    def get(self, path: str, **kwargs):  # type: ignore[no-untyped-def]
        return support.request("GET", self.base + path, **kwargs)

    def post(self, path: str, body=None, **kwargs):  # type: ignore[no-untyped-def]
        return support.request("POST", self.base + path, body, **kwargs)

    def token_sent_to(self, address: str, kind: str) -> str:
        """The token in the newest email of ``kind`` ('verify-email', 'reset-password') sent to ``address``."""

        def find() -> str | None:
            for path in sorted(self.outbox.glob("*.eml"), reverse=True):
                text = path.read_text()
                if f"To: {address}" in text and f"/{kind}?token=" in text:
                    return text.split(f"/{kind}?token=", 1)[1].split()[0]
            return None

        return support.wait_until(find, timeout=30, message=f"a {kind} email to {address}")

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())

    def head_of_log(self) -> int:
        status, _, body = self.get("/api/v1/projections")
        assert status == 200
        return body["items"][0]["head"]


@pytest.fixture(scope="module", params=["embedded", "production"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    workdir = tmp_path_factory.mktemp(request.param)
    outbox = workdir / "outbox"
    limits = support.ROOMY_LIMITS
    logs = [workdir / "server.log", workdir / "worker.log"]
    if request.param == "embedded":
        env = support.pipeline_env(PIPELINE_OUTBOX_DIR=str(outbox), **limits)  # else the defaults: ./var/...
        support.run_cli("init", env=env, cwd=workdir)
        with support.server(env, workdir / "server.log", cwd=workdir) as base:
            yield Api("embedded", base, outbox, logs)
        return
    request.getfixturevalue("redis_available")
    template = request.getfixturevalue("pg_template")
    url = support.create_database(template=template)
    env = support.pipeline_env(
        DATABASE_URL=url,
        REDIS_URL=support.REDIS_URL,
        PIPELINE_QUEUE=f"e2e-{uuid.uuid4().hex[:8]}",
        WEB_CONCURRENCY="2",
        PIPELINE_OUTBOX_DIR=str(outbox),
        **limits,
    )
    support.run_cli("init", env=env)
    worker = support.Process(["worker"], env, Path(workdir) / "worker.log")
    try:
        with support.server(env, workdir / "server.log") as base:
            yield Api("production", base, outbox, logs)
    finally:
        worker.stop()
        support.drop_database(url)
