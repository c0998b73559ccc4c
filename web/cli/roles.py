"""``pipeline operators|evaluators grant|revoke EMAIL``: one shape for every role given from the command line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from domain.results import Written
from workers.runtime.bootstrap import Runtime, build_runtime


def role_commands(role: str, about: str, apply: Callable[[Runtime, str, bool], Any]) -> click.Group:
    """A ``grant EMAIL`` / ``revoke EMAIL`` group for a role; ``apply(rt, email, grant)`` records
    it and returns what was written (``position`` None when nothing changed)."""
    group = click.Group(f"{role}s", help=about)

    def change(email: str, grant: bool) -> None:
        from domain.errors import DomainError

        rt = build_runtime()
        try:
            written = apply(rt, email, grant)
        except DomainError as error:
            raise click.ClickException(error.detail) from None
        finally:
            rt.close()
        state = "is now" if grant else "is no longer"
        unchanged = " (unchanged)" if written.position is None else ""
        click.echo(f"Person {written.aggregate.id} {state} an {role}{unchanged}.")

    @group.command("grant", help=f"Make the person with EMAIL an {role}.")
    @click.argument("email")
    def grant(email: str) -> None:
        change(email, True)

    @group.command("revoke", help=f"Take the {role} role away from the person with EMAIL.")
    @click.argument("email")
    def revoke(email: str) -> None:
        change(email, False)

    return group


operators = role_commands(
    "operator",
    "Grant or revoke the operator role (only ever from here, never through the API).",
    lambda rt, email, grant: rt.app.set_operator(email, grant),
)


def _set_evaluator(rt: Runtime, email: str, grant: bool) -> Written:
    from domain.errors import NotFound

    owner = rt.app.email_owner(email)
    if owner is None:
        raise NotFound("Nobody has signed up with that email.")
    return rt.app.set_evaluator(owner, grant, actor=None)


evaluators = role_commands(
    "evaluator",
    "Grant or revoke the evaluator role: reading the whole event log (GET /api/v1/events).",
    _set_evaluator,
)
