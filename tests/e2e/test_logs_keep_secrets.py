"""Issue 20, item 8: no emailed secret, password or address in any log line.

A real ``pipeline serve`` in each mode (embedded: Flask's server logging every request;
production: gunicorn with its access log, and a ``pipeline worker``), at DEBUG, goes
through what puts secrets in URLs: the verification, reset and unsubscribe links opened
as a browser opens them (``GET /verify-email?token=...``), and requests a careless client
or an attacker makes (an address in a path, a password in a query string, a token in a
Referer). Then every log the processes wrote is searched for every token, password and
address the run used: none may appear, in any form (plain or percent-encoded)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from tests import support
from tests.e2e.conftest import Api
from tests.factories import PASSWORD, council_email

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["embedded", "production"])
def chatty_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The e2e stack (as ``tests/e2e/conftest.py`` starts it) logging at DEBUG."""
    workdir = tmp_path_factory.mktemp(f"logs-{request.param}")
    outbox = workdir / "outbox"
    logs = [workdir / "server.log", workdir / "worker.log", workdir / "init.log"]
    common = {"PIPELINE_OUTBOX_DIR": str(outbox), "LOG_LEVEL": "DEBUG", **support.ROOMY_LIMITS}
    if request.param == "embedded":
        env = support.pipeline_env(**common)
        logs[2].write_text(support.run_cli("init", env=env, cwd=workdir))
        with support.server(env, logs[0], cwd=workdir) as base:
            yield Api("embedded", base, outbox, logs)
        return
    request.getfixturevalue("redis_available")
    url = support.create_database(template=request.getfixturevalue("pg_template"))
    env = support.pipeline_env(
        DATABASE_URL=url,
        REDIS_URL=support.REDIS_URL,
        PIPELINE_QUEUE=f"e2e-logs-{uuid.uuid4().hex[:8]}",
        WEB_CONCURRENCY="2",
        **common,
    )
    logs[2].write_text(support.run_cli("init", env=env))
    worker = support.Process(["worker"], env, logs[1])
    try:
        with support.server(env, logs[0]) as base:
            yield Api("production", base, outbox, logs)
    finally:
        worker.stop()
        support.drop_database(url)


def unsubscribe_link_sent_to(api: Api, address: str) -> str:
    def find() -> str | None:
        for path in sorted(api.outbox.glob("*.eml"), reverse=True):
            text = path.read_text()
            if f"To: {address}" in text and "/unsubscribe?token=" in text:
                return text.split("/unsubscribe?token=", 1)[1].split(">", 1)[0].split()[0]
        return None

    return support.wait_until(find, timeout=30, message=f"an email with an unsubscribe link to {address}")


def forms(secret: str) -> set[str]:
    """The ways a secret can be written into a log line: as is, and percent-encoded."""
    return {secret, quote(secret, safe=""), quote(secret, safe="@")}


def test_no_token_password_or_address_reaches_any_log(chatty_api: Api) -> None:
    api = chatty_api
    ann, bob = council_email("WGN"), council_email("KTT")
    secrets: dict[str, str] = {"ann's address": ann, "bob's address": bob, "the first password": PASSWORD}
    people = {}
    for address, code in ((ann, "WGN"), (bob, "KTT")):
        body = {"name": f"Officer {code}", "email": address, "organisation_code": code, "password": PASSWORD}
        status, _, person = api.post("/api/v1/people", body)
        assert status == 201, person
        token = api.token_sent_to(address, "verify-email")
        secrets[f"{code}'s verification token"] = token
        # Opened from the email as a browser opens it, then confirmed (the page's button).
        assert api.get(f"/verify-email?token={token}")[0] == 200
        assert api.post("/api/v1/email-verifications", {"token": token})[0] == 200
        session = api.post("/api/v1/sessions", {"email": address, "password": PASSWORD})[2]["token"]
        secrets[f"{code}'s session"] = session
        people[code] = {"Authorization": f"Bearer {session}"}

    # A follower makes a switchable email, whose unsubscribe link is opened and then used (one-click).
    title = f"Log hygiene {uuid.uuid4().hex[:6]}"
    proposal = {"title": title, "summary": "A project to be followed.", "phase": "discovery", "tags": ["logs"]}
    status, _, project = api.post("/api/v1/projects", proposal, headers=people["WGN"])
    assert status == 201, project
    assert api.post(f"/api/v1/projects/{project['id']}/follow", headers=people["KTT"])[0] == 200
    unsubscribe = unsubscribe_link_sent_to(api, ann)
    secrets["the unsubscribe token"] = unsubscribe
    assert api.get(f"/unsubscribe?token={unsubscribe}")[0] == 200
    assert api.post(f"/unsubscribe?token={unsubscribe}")[0] == 200

    # A forgotten password: the link opened with the address in a Referer, then used.
    assert api.post("/api/v1/password-resets", {"email": ann})[0] == 202
    reset = api.token_sent_to(ann, "reset-password")
    secrets["the reset token"] = reset
    new_password = f"a new passphrase {uuid.uuid4().hex[:8]}"
    secrets["the new password"] = new_password
    referer = {"Referer": f"{api.base}/reset-password?token={reset}&email={quote(ann)}"}
    assert api.get(f"/reset-password?token={reset}", headers=referer)[0] == 200
    confirm = {"token": reset, "new_password": new_password}
    assert api.post("/api/v1/password-resets/confirm", confirm)[0] == 200

    # Careless clients and attackers: secrets where they do not belong, refused (never a 5xx).
    careless = [
        f"/api/v1/people/{ann}",
        f"/api/v1/people/{quote(ann)}",
        f"/sign-in?email={quote(ann)}&password={quote(new_password)}",
        f"/api/v1/projects?q={quote(bob)}&api_key={reset}",
        f"/verify-email?token={reset}&token={unsubscribe}",
        f"/reset-password;token={reset}",
    ]
    for path in careless:
        assert api.get(path)[0] < 500, path
    assert api.post("/api/v1/sessions", {"email": ann, "password": new_password})[0] == 201

    logs = api.log_text()
    assert "/verify-email" in logs and "/unsubscribe" in logs, "the requests were not logged: nothing was proved"
    found = sorted(what for what, secret in secrets.items() for form in forms(secret) if form in logs)
    assert not found, f"found in the {api.mode} logs: {', '.join(found)}"
    assert "token=[redacted]" in logs  # what an operator sees instead
