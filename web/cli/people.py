"""``pipeline people erase``: operator actions on people."""

from __future__ import annotations

from uuid import UUID

import click

from workers.runtime.bootstrap import build_runtime


@click.group()
def people() -> None:
    """Operator actions on people."""


@people.command("erase")
@click.argument("person_id", type=click.UUID)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def people_erase(person_id: UUID, yes: bool) -> None:
    """Erase a person (UK GDPR art. 17): their personal data becomes unreadable for ever."""
    from domain.errors import DomainError
    from workers.processes.erasure import erase_person

    if not yes:
        click.confirm(f"Erase person {person_id}? This cannot be undone", abort=True)
    rt = build_runtime()
    try:
        written = erase_person(rt, person_id, actor=None)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    finally:
        rt.close()
    done = "was already erased" if written.position is None else f"erased at log position {written.position}"
    click.echo(f"Person {person_id} {done}.")
