"""`pipeline init` on PostgreSQL, run again and again, sends nothing the server refuses: the
event store's composite type is made once, not tried (and refused, with an ERROR in the server's
log) on every run."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests import support
from workers.runtime.bootstrap import initialise
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def test_init_twice_sends_no_statement_the_server_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    url = support.create_database()  # empty: the first init makes everything
    try:
        refused: list[str] = []
        real = psycopg.Cursor.execute

        def watched(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return real(self, query, *args, **kwargs)
            except psycopg.Error as error:  # the server said ERROR, whoever hides it afterwards
                refused.append(f"{type(error).__name__}: {error}")
                raise

        monkeypatch.setattr(psycopg.Cursor, "execute", watched)
        settings = Settings(database_url=url, secret_key=support.SECRET_KEY)
        initialise(settings)
        initialise(settings)
        assert refused == []
    finally:
        support.drop_database(url)
