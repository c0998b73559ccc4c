"""``pipeline domains unplaced|add|remove``: which email domains make their owners members of which organisation."""

from __future__ import annotations

import json

import click

from workers.runtime.bootstrap import build_runtime


@click.group()
def domains() -> None:
    """Organisations' email domains: a verified address on one makes its owner a member."""


@domains.command("unplaced")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def domains_unplaced(as_json: bool) -> None:
    """Owners of the public-sector domains list that were not matched to one current council."""
    from domain.email_domains import register_seed_plan

    unplaced = register_seed_plan().unplaced
    if as_json:
        click.echo(json.dumps([u.__dict__ for u in unplaced]))
        return
    for u in unplaced:
        hint = f" (candidates: {'; '.join(u.candidates)})" if u.candidates else ""
        click.echo(f"{u.owner}: {', '.join(u.domains)}: {u.reason}{hint}")
    click.echo(f"{len(unplaced)} owners not placed; add a domain with `pipeline domains add CODE_OR_ID DOMAIN`.")


@domains.command("add")
@click.argument("organisation")
@click.argument("domain")
def domains_add(organisation: str, domain: str) -> None:
    """List DOMAIN as ORGANISATION's (a council's register code or an organisation id)."""
    _domain_command(organisation, domain, add=True)


@domains.command("remove")
@click.argument("organisation")
@click.argument("domain")
def domains_remove(organisation: str, domain: str) -> None:
    """Stop listing DOMAIN as ORGANISATION's."""
    _domain_command(organisation, domain, add=False)


def _domain_command(organisation: str, domain: str, *, add: bool) -> None:
    from domain.errors import DomainError
    from domain.organisation import organisation_id

    rt = build_runtime()
    try:
        command = rt.app.add_domain if add else rt.app.remove_domain
        written = command(organisation_id(organisation), domain, actor=None)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    finally:
        rt.close()
    click.echo(f"{written.aggregate.name}: {', '.join(written.aggregate.domains) or 'no domains'}.")
