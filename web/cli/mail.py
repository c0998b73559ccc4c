"""``pipeline mail log --person ID``: "was I told?" answered from the outbox, at 2 a.m.

Every message the notifier wrote for the person, oldest first: when it was written, when it
was sent (or why not yet), its kind and subject and the events it stands for; then what
waits for, or went out in, their digest; and the choices that decided it (kinds switched
off, immediate or a digest). Addresses and bodies are not shown: a sent message keeps
neither."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import click

from web.cli.checks import require_reachable
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

HOW_OFTEN = {
    "immediate": "each email at once",
    "daily": "a daily digest for project news and the like",
    "weekly": "a weekly digest for project news and the like",
}


def _state(message: dict[str, Any]) -> str:
    if message["sent_at"]:
        return f"sent {message['sent_at']}"
    if not message["attempts"]:
        return "NOT SENT YET (not tried)"
    return f"NOT SENT ({message['attempts']} attempt(s); last error: {message['last_error']})"


def _digest_state(item: dict[str, Any]) -> str:
    if item["digest_id"] is None:
        return "waiting for the next digest"
    sent = f"sent {item['digest_sent_at']}" if item["digest_sent_at"] else "not sent yet"
    return f"in digest {item['digest_id']} ({sent})"


def _print(log: dict[str, Any], status: str, choices: dict[str, Any] | None) -> None:
    click.echo(f"Person {log['person_id']}: {status}")
    if choices is not None:
        off = ", ".join(choices["off"]) or "none"
        how = HOW_OFTEN.get(choices["frequency"], choices["frequency"])
        click.echo(f"Chose: {how}; switched off: {off}")
    messages, items = log["messages"], log["digest_items"]
    if not messages and not items:
        click.echo("No email has been written for this person: nothing sent, nothing waiting, no digest items.")
        return
    click.echo(f"\nMessages ({len(messages)}), oldest first:" if messages else "\nNo messages in the outbox.")
    for m in messages:
        click.echo(f"  {m['created_at']}  {m['kind']:<22} {_state(m)}")
        click.echo(f"      subject: {m['subject']}")
        click.echo(f"      events:  {', '.join(m['events']) or '-'}")
    click.echo(f"\nDigest items ({len(items)}), oldest first:" if items else "\nNo digest items.")
    for i in items:
        click.echo(f"  {i['created_at']}  {i['kind']:<22} {_digest_state(i)}")
        click.echo(f"      {i['subject']}")
        click.echo(f"      events:  {', '.join(i['events']) or '-'}")


@click.group()
def mail() -> None:
    """Outgoing email: what was written and sent to whom, and when."""


@mail.command("log")
@click.option("--person", "person_id", type=click.UUID, required=True, help="The person's id.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def mail_log_command(person_id: UUID, as_json: bool) -> None:
    """Every email for one person, oldest first: written, sent or why not, kind, subject, the
    events it stands for; their digest items; and the choices that applied."""
    from projections.db import missing_table
    from web.api.mail_log import mail_log, person_state  # Flask only for this command

    settings = Settings.from_env()
    require_reachable(settings)
    rt = build_runtime(settings)
    try:
        log = mail_log(rt.db, person_id)
        status, choices = person_state(rt, person_id)
    except Exception as error:
        if missing_table(error):
            raise click.ClickException("The database has no Pipeline tables: run `pipeline init`.") from None
        raise
    finally:
        rt.close()
    if as_json:
        click.echo(json.dumps({**log, "person": status, "preferences": choices}))
    else:
        _print(log, status, choices)
