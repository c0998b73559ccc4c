"""The composition root: builds the application, the read database and the
dispatcher that keeps projections up to date, all from ``Settings``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from domain.application import PipelineApplication, RegisterLoad
from projections import runner
from projections.db import ReadDatabase, open_database, sqlite_path
from projections.registry import all_projections
from workers.dispatch import Dispatcher, InlineDispatcher, RQDispatcher
from workers.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    app: PipelineApplication
    db: ReadDatabase
    dispatcher: Dispatcher = field(init=False)

    def __post_init__(self) -> None:
        if self.settings.embedded:
            self.dispatcher = InlineDispatcher(self.app, self.db, self.settings.batch_size)
        else:
            self.dispatcher = RQDispatcher(self.settings.redis_url or "", self.settings.queue_name)

    def projections_changed(self, names: Iterable[str]) -> None:
        """Tell whoever builds projections that new events may concern them."""
        self.dispatcher.request_catch_up(list(names))

    def catch_up_all(self) -> None:
        for projection in all_projections():
            runner.catch_up(self.app, self.db, projection, batch_size=self.settings.batch_size)

    def close(self) -> None:
        self.dispatcher.close()
        self.db.close()
        self.app.close()


def build_runtime(settings: Settings | None = None, *, create_tables: bool = False) -> Runtime:
    settings = settings or Settings.from_env()
    if settings.database_url.startswith("sqlite:"):
        Path(sqlite_path(settings.database_url)).parent.mkdir(parents=True, exist_ok=True)
    app = PipelineApplication(env=settings.event_store_env(create_tables=create_tables))
    db = open_database(settings.database_url, pool_size=settings.db_pool_size)
    return Runtime(settings, app, db)


def initialise(settings: Settings | None = None) -> RegisterLoad:
    """Create every table, load the council register and bring projections up to date.
    Idempotent: running it again adds nothing."""
    runtime = build_runtime(settings, create_tables=True)
    try:
        runner.create_tables(runtime.db, all_projections())
        loaded = runtime.app.load_register()
        runtime.catch_up_all()
    finally:
        runtime.close()
    return loaded
