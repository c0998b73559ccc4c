"""Issue 20, item 9: slow clients do not starve production.

The stack is started as docker-compose.yml describes it, without Docker: whatever service
it publishes faces the clients. Shipped as before, that was gunicorn itself, and 40
clients trickling a request body a byte every 2 s held every gunicorn thread: /healthz
stopped answering. Now it is nginx with the repository's ``web/nginx.conf.template``
(rendered for local ports, as the nginx image renders it) in front of a real
``pipeline serve`` gunicorn, and /healthz must keep answering within 1 s."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import support
from tests.faults.conftest import Stack

pytestmark = [pytest.mark.faults, pytest.mark.serial]  # it times answers: `make test` runs it alone

SLOW_CLIENTS = 40
TRICKLE_SECONDS = 2.0
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Published:
    service: str
    spec: dict[str, Any]
    container_port: int


def published_service() -> Published:
    """The one service docker-compose.yml publishes to the outside."""
    services = yaml.safe_load((support.ROOT / "docker-compose.yml").read_text())["services"]
    published = [(name, spec) for name, spec in services.items() if spec.get("ports")]
    assert len(published) == 1, f"docker-compose.yml should publish exactly one service, not {published}"
    name, spec = published[0]
    return Published(name, spec, int(str(spec["ports"][0]).rsplit(":", 1)[1]))


def web_environment() -> dict[str, str]:
    """What docker-compose.yml sets for gunicorn itself (processes, trusted proxies), with
    ``${NAME:-default}`` taken at its default; the stack supplies the addresses."""
    services = yaml.safe_load((support.ROOT / "docker-compose.yml").read_text())["services"]
    wanted = ("WEB_THREADS", "PIPELINE_PROXY_HOPS")  # the stack runs 2 processes, as compose does
    env = services["web"].get("environment") or {}
    return {k: re.sub(r"^\$\{\w+:-(.*)\}$", r"\1", str(v)) for k, v in env.items() if k in wanted}


def render(template: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst does: ``${NAME}`` from the environment, nothing else."""
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m[1], m[0]), template)


@contextlib.contextmanager
def nginx_in_front(published: Published, upstream_port: int, workdir: Path) -> Iterator[str]:
    """The published nginx service, run here: its template rendered for local ports."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail("nginx is not installed: run `make nginx` (apt-get install nginx)", pytrace=False)
    port = support.free_port()
    env = {k: str(v) for k, v in (published.spec.get("environment") or {}).items()}
    # Addresses of other compose services (web:8000) become where that service listens here.
    env = {k: re.sub(r"^web:\d+$", f"127.0.0.1:{upstream_port}", v) for k, v in env.items()}
    env["NGINX_PORT"] = str(port)
    conf = workdir / "nginx"
    (conf / "conf.d").mkdir(parents=True)
    for volume in published.spec.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if target.startswith("/etc/nginx/templates/"):
            rendered = render((support.ROOT / source).read_text(), env)
            (conf / "conf.d" / Path(target).name.removesuffix(".template")).write_text(rendered)
    assert list((conf / "conf.d").iterdir()), "the nginx service mounts no template from the repository"
    (conf / "nginx.conf").write_text(
        f"{'user root;' if os.geteuid() == 0 else ''}\n"
        f"worker_processes 1;\npid {conf}/nginx.pid;\nerror_log {conf}/error.log notice;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        + "".join(
            f"  {kind}_temp_path {conf}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {conf}/conf.d/*.conf;\n}}\n"
    )
    with open(workdir / "nginx.log", "ab") as log:
        proc = subprocess.Popen(
            [NGINX, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        support.wait_until(lambda: answers(base + "/healthz", 5) or proc.poll() is not None, timeout=30)
        assert proc.poll() is None, (workdir / "nginx.log").read_text()
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def answers(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


class SlowClients:
    """Clients that send a request's headers, then its body one byte every 2 s."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        self.open = 0

    def start(self) -> SlowClients:
        head = (
            b"POST /api/v1/people HTTP/1.1\r\nHost: pipeline.example\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4000\r\n\r\n{"
        )
        for _ in range(self.count):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(head)
            self.sockets.append(s)
        threading.Thread(target=self._trickle, daemon=True).start()
        return self

    def _trickle(self) -> None:
        while not self.stop.wait(TRICKLE_SECONDS):
            still = 0
            for s in self.sockets:
                try:
                    s.sendall(b" ")
                    still += 1
                except OSError:
                    pass
            self.open = still

    def close(self) -> None:
        self.stop.set()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()


def probe(url: str) -> tuple[bool, float]:
    started = time.monotonic()
    ok = answers(url, timeout=1.0)
    return ok, time.monotonic() - started


def test_forty_slow_clients_leave_healthz_answering_within_a_second(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    published = published_service()
    stack = make_stack(**web_environment())
    gunicorn = stack.start_server()
    if published.service == "web":  # gunicorn published directly, as shipped before
        front = gunicorn
    else:
        front = stack.exits.enter_context(nginx_in_front(published, int(gunicorn.rsplit(":", 1)[1]), tmp_path))
    assert answers(front + "/healthz", 5)

    slow = SlowClients(int(front.rsplit(":", 1)[1]), SLOW_CLIENTS).start()
    try:
        time.sleep(3 * TRICKLE_SECONDS)  # every slow client has been read from a few times
        probes = []
        for _ in range(8):
            probes.append(probe(front + "/healthz"))
            time.sleep(1)
        held = slow.open
    finally:
        slow.close()
    assert all(ok for ok, _ in probes), f"/healthz stopped answering behind {published.service}: {probes}"
    assert held >= SLOW_CLIENTS * 3 // 4, f"only {held} slow clients were still connected: nothing was proved"


def test_the_proxy_logs_no_token_or_address(make_stack: Callable[..., Stack], tmp_path: Path) -> None:
    published = published_service()
    assert published.service != "web", "gunicorn is published directly: nothing stands in front of it"
    stack = make_stack(**web_environment())
    gunicorn = stack.start_server()
    front = stack.exits.enter_context(nginx_in_front(published, int(gunicorn.rsplit(":", 1)[1]), tmp_path))
    token, address = "t0k3n-" + os.urandom(8).hex(), f"{os.urandom(6).hex()}@wigan.gov.uk"
    for path in (f"/verify-email?token={token}", f"/api/v1/people/{address}", f"/unsubscribe;token={token}"):
        support.request("GET", front + path, headers={"Referer": f"{front}/reset-password?token={token}"})
    with contextlib.suppress(OSError):  # refused by nginx (413), which may close before reading it all
        support.request("POST", front + "/api/v1/people", raw=b"x" * 2_000_000, timeout=10)
    logs = (tmp_path / "nginx.log").read_text() + (tmp_path / "nginx" / "error.log").read_text() + stack.logs()
    assert "/verify-email" in logs and "[a path with an address]" in logs, "nothing was logged: nothing proved"
    assert token not in logs and address not in logs
