"""Where the key-encryption key (KEK) comes from: ``PIPELINE_SECRET_KEY`` (the key in
base64), ``PIPELINE_SECRET_KEY_FILE`` (a file holding it), or, in the embedded mode
only, ``pipeline.key`` beside the SQLite database, which ``pipeline init`` creates.
Production mode never makes one up: it refuses to start without one.

A key file or variable may hold several keys (spaces, commas or new lines between
them): the first wraps new keys, the others still unwrap. That is how a rotation
runs without downtime (see ``pipeline keys rotate`` and ``pipeline keys retire``)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from projections.db import sqlite_path
from workers.adapters.kek import Kek, KekError, KeyRing, parse_ring

log = logging.getLogger(__name__)

KEY_FILE_NAME = "pipeline.key"
HEADER = (
    "# Pipeline key-encryption keys (base64). The first wraps new keys; any others are\n"
    "# retired ones kept only until `pipeline keys retire`. Keep this file out of database backups.\n"
)
MISSING = (
    "No key-encryption key: {why} needs PIPELINE_SECRET_KEY_FILE (a file holding a base64 32-byte key; "
    "make one with `pipeline keys new FILE`) or PIPELINE_SECRET_KEY. Keep it outside the database and its backups."
)


class KeySettings(Protocol):
    """What finding and loading the key-encryption keys reads of the settings."""

    @property
    def secret_key(self) -> str | None: ...

    @property
    def secret_key_file(self) -> str | None: ...

    @property
    def database_url(self) -> str: ...

    @property
    def embedded(self) -> bool: ...


def key_file(settings: KeySettings) -> Path | None:
    """The key file in use; None when the key comes from PIPELINE_SECRET_KEY or nothing is configured."""
    if settings.secret_key_file:
        return Path(settings.secret_key_file)
    if settings.secret_key or not settings.embedded or not settings.database_url.startswith("sqlite:"):
        return None
    return Path(sqlite_path(settings.database_url)).parent / KEY_FILE_NAME


def ensure_key(settings: KeySettings) -> Path | None:
    """Embedded mode: make the key file if none is configured or it does not exist yet.
    Returns its path when it was made now."""
    path = key_file(settings)
    if not settings.embedded or settings.secret_key or path is None or path.exists():
        return None
    write_key_file(path, [Kek.generate()], create=True)
    return path


def load_ring(settings: KeySettings) -> KeyRing:
    """The configured KEKs, or SystemExit with a message saying what to do."""
    if settings.secret_key and settings.secret_key_file:
        raise SystemExit("Set PIPELINE_SECRET_KEY or PIPELINE_SECRET_KEY_FILE, not both.")
    if settings.secret_key:
        return KeyRing(_parsed(settings.secret_key, "PIPELINE_SECRET_KEY"))
    path = key_file(settings)
    if path is None:
        why = "production mode (REDIS_URL is set)" if not settings.embedded else "a PostgreSQL DATABASE_URL"
        raise SystemExit(MISSING.format(why=why))
    if not path.exists():
        hint = "run `pipeline init` to create it" if settings.embedded else f"make one with `pipeline keys new {path}`"
        raise SystemExit(f"No key-encryption key file at {path}: {hint}.")
    return KeyRing(read_key_file(path), reload=_follower(path))


def read_key_file(path: Path) -> list[Kek]:
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("key file %s can be read by other users: chmod 600 it", path)
    return _parsed(path.read_text(), str(path))


def write_key_file(path: Path, keks: list[Kek], *, create: bool = False) -> None:
    """Write atomically with mode 0600 (readers see the old file or the new, never half)."""
    if create and path.exists():
        raise SystemExit(f"{path} already exists: not overwriting a key.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(HEADER + "".join(f"{kek.text()}\n" for kek in keks))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _parsed(text: str, source: str) -> list[Kek]:
    try:
        keks = parse_ring(text)
    except KekError as error:
        raise SystemExit(f"{source}: {error}") from None
    if not keks:
        raise SystemExit(f"{source} holds no key-encryption key.")
    return keks


def _follower(path: Path) -> Callable[[], list[Kek] | None]:
    """Re-read the key file when it changed (a rotation in another process), else None."""
    seen = _signature(path)

    def reload() -> list[Kek] | None:
        nonlocal seen
        now = _signature(path)
        if now == seen or now is None:
            return None
        try:
            keks = parse_ring(path.read_text())
        except (OSError, KekError):
            log.exception("key file %s changed but cannot be read; keeping the keys loaded before", path)
            return None
        seen = now
        return keks or None

    return reload


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
