"""``pipeline keys new|rotate|retire``: the key-encryption keys that wrap every personal key."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from workers.adapters.keys import KeyStore

T = TypeVar("T")


@click.group()
def keys() -> None:
    """Key-encryption keys (KEKs): make one, rotate to a new one, retire the old."""


@keys.command("new")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def keys_new(file: str | None) -> None:
    """Make a new KEK: into FILE (mode 0600, never overwritten) or printed."""
    from pathlib import Path

    from workers.adapters.kek import Kek
    from workers.adapters.secret_key import write_key_file

    kek = Kek.generate()
    if file is None:
        click.echo(kek.text())
        return
    write_key_file(Path(file), [kek], create=True)
    click.echo(f"Wrote key-encryption key {kek.id} to {file}.")


@keys.command("rotate")
def keys_rotate() -> None:
    """Rewrap every live key under a new KEK (the key file gets a new first key; with
    PIPELINE_SECRET_KEY, put the new key first yourself). The old KEK stays until retired."""
    from workers.adapters import secret_key
    from workers.adapters.kek import Kek

    settings = Settings.from_env()
    ring, path = secret_key.load_ring(settings), secret_key.key_file(settings)
    if path is not None and len(ring.ids) == 1:
        secret_key.write_key_file(path, [Kek.generate(), *secret_key.read_key_file(path)])
        ring = secret_key.load_ring(settings)
    elif len(ring.ids) == 1:
        raise click.ClickException(
            "PIPELINE_SECRET_KEY holds one key: put a new one (`pipeline keys new`) in front of it, separated by"
            " a space, restart every process with it, then run this again."
        )
    rotation = _with_keys(settings, lambda store: store.rotate())
    click.echo(f"Rewrapped {rotation.rewrapped} keys under key-encryption key {rotation.kek_id}.")
    click.echo(f"Keys per KEK: {_usage(rotation.usage)}.")
    click.echo("Next: `pipeline keys retire` removes the old KEK; then destroy every copy of it.")


@keys.command("retire")
def keys_retire() -> None:
    """Drop every KEK but the current one, once no stored key is wrapped under them."""
    from workers.adapters import secret_key

    settings = Settings.from_env()
    ring, path = secret_key.load_ring(settings), secret_key.key_file(settings)
    rotation = _with_keys(settings, lambda store: store.rotate())  # rewraps any key made under an old KEK meanwhile
    old = ring.ids[1:]
    if any(rotation.usage.get(kek_id) for kek_id in old):
        raise click.ClickException(f"Keys are still wrapped under {_usage(rotation.usage)}: run this again.")
    if not old:
        click.echo(f"Only key-encryption key {rotation.kek_id} is configured: nothing to retire.")
    elif path is not None:
        secret_key.write_key_file(path, [ring.current])
        click.echo(f"Removed KEK(s) {', '.join(old)} from {path}. Destroy every other copy of them (backups too).")
    else:
        click.echo(f"Nothing is wrapped under {', '.join(old)}: remove them from PIPELINE_SECRET_KEY and restart.")


def _with_keys(settings: Settings, action: Callable[[KeyStore], T]) -> T:
    rt = build_runtime(settings)
    try:
        return action(rt.keys)
    finally:
        rt.close()


def _usage(usage: dict[str, int]) -> str:
    return ", ".join(f"{kek_id}: {count}" for kek_id, count in sorted(usage.items())) or "none"
