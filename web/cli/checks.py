"""What every command that opens the database checks first: that it is reachable and
initialised with a key-encryption key that opens it; each failure is one line, no traceback."""

from __future__ import annotations

import click

from projections import runner
from workers.runtime import follow
from workers.runtime.bootstrap import build_runtime
from workers.runtime.settings import Settings


def require_reachable(settings: Settings) -> None:
    """Fail fast, naming the database and the reason, without a traceback."""
    from projections.db import DatabaseUnreachable, probe

    try:
        probe(settings.database_url, settings.db_connect_timeout_seconds)
    except DatabaseUnreachable as error:
        raise click.ClickException(str(error)) from None


def require_initialised(settings: Settings) -> None:
    from workers.adapters.kek import KekError

    rt = build_runtime(settings)
    try:
        for projection in follow.all_followers():
            runner.position(rt.db, projection.name)
        rt.keys.email_index_id("start-up@pipeline.invalid")  # the KEK opens this database's keys
    except runner.NotInitialised as error:
        raise click.ClickException(f"{error} ({where(settings)})") from None
    except KekError as error:
        raise click.ClickException(f"{WRONG_KEK} ({where(settings)}: {error})") from None
    finally:
        rt.close()


WRONG_KEK = (
    "The key-encryption key does not open this database's keys: give the key this database was "
    "made with (PIPELINE_SECRET_KEY_FILE or PIPELINE_SECRET_KEY). Do not make a new one: nothing "
    "sealed under the old key could ever be read again"
)


def where(settings: Settings) -> str:
    from projections.db import describe_url

    return describe_url(settings.database_url)
