"""Red team (issue 20, item 6): Idempotency-Key marks in the log.

A keyed write leaves a ``RequestMark`` whose id derives from (owner, key) only. The key's
row, with the request's fingerprint, is purged after ``PIPELINE_IDEMPOTENCY_HOURS``
(docs/api.md: "Keys are kept ... hours"), but the mark stays in the log for ever. So once a key
has been used for a write, *any* later request with it, a different one that never ran,
is refused "409 Already carried out ... read the resource to see the result", after its
side effects outside the log are done (here: the verification link used up for nothing)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import email
from tests.integration.accounts.helpers import links, sign_up
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def red_client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


def purge_keys(rt: Runtime) -> None:
    """What ``claim`` does to rows older than PIPELINE_IDEMPOTENCY_HOURS."""
    with rt.db.transaction() as tx:
        tx.execute("DELETE FROM idempotency_keys")


def test_a_key_used_once_is_not_refused_for_another_request_after_it_expired(
    any_runtime: Runtime, red_client: Any
) -> None:
    rt, client = any_runtime, red_client
    address = email()
    _, me = sign_up(client, address)
    keyed = {**me, "Idempotency-Key": "nightly-job-1"}
    assert client.post("/api/v1/me/verification-email", headers=keyed).status_code == 202
    replay = client.post("/api/v1/me/verification-email", headers=keyed)
    assert replay.status_code == 202 and replay.headers.get("Idempotent-Replayed") == "true"

    purge_keys(rt)  # a day later: the key and its answer are gone
    token = sorted(links(rt, address, "verify-email"))[0]  # either of the two mailed
    other = client.post("/api/v1/email-verifications", json={"token": token}, headers=keyed)  # another request
    assert (other.status_code, other.json.get("title")) != (409, "Already carried out"), (
        "a request that never ran is refused as 'already carried out' because its key was used once, a day before"
    )
    assert other.status_code == 200
