"""Red team (issue 20, item 10): the per-recipient mail budget and Gmail's dots.

``domain.addresses.recipient`` keys the budget on the inbox a message lands in, dropping a
``+tag``. Gmail (and googlemail.com, the same service) also ignores every dot in the local
part: ``v.ictim@gmail.com``, ``vi.ctim@gmail.com`` and ``victim@googlemail.com`` all land in
``victim@gmail.com``'s inbox. Each was its own budget, so sign-ups with dot variants send
one inbox as many verification mails as the sign-up limit per client address allows (a
ten-letter name has 512 variants), the mail bombing item 10 closed for ``+tag``."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from domain.addresses import recipient
from tests.factories import PASSWORD
from web.app import create_app
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration

VARIANTS = ["victimname@gmail.com", "v.ictimname@gmail.com", "vi.ctim.name@gmail.com", "victimname@googlemail.com"]


def test_gmail_spellings_of_one_inbox_share_one_recipient_budget_key() -> None:
    assert {recipient(v) for v in VARIANTS} == {"victimname@gmail.com"}
    assert recipient("Victim.Name+x@GoogleMail.com") == "victimname@gmail.com"
    assert recipient("victim.name@example.com") == "victim.name@example.com"  # dots count elsewhere


def test_dot_variants_of_a_gmail_address_get_one_budget_of_verification_mail(sqlite_settings: Settings) -> None:
    rt = build_runtime(dataclasses.replace(sqlite_settings, sign_up_ip_limit="1000/minute"))
    try:
        client: Any = create_app(runtime=rt).test_client()
        limit = int(rt.settings.mail_recipient_limit.split("/")[0])  # 3 an hour by default
        local = "victimnameab"
        variants = [f"{local[:i]}.{local[i:]}@gmail.com" for i in range(1, len(local))][: limit + 3]
        statuses = []
        for address in variants:
            body = {"name": "Pat Tester", "email": address, "organisation_code": "WGN", "password": PASSWORD}
            statuses.append(client.post("/api/v1/people", json=body).status_code)
        assert statuses.count(201) <= limit, f"one inbox got {statuses.count(201)} verification mails: {statuses}"
    finally:
        rt.close()
