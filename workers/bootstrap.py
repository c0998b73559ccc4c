"""The composition root: builds the application, the read database, the stores
beside it and the dispatcher that keeps projections up to date, from ``Settings``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from domain.application import PipelineApplication, RegisterLoad
from projections import failures, runner
from projections.db import ReadDatabase, Timeouts, open_database, sqlite_path
from projections.registry import all_projections, get
from workers.adapters import idempotency, keys, mail, secret_key, sessions
from workers.adapters.keys import KeyStore
from workers.adapters.passwords import Argon2Hasher
from workers.adapters.pgstore import store_env
from workers.dispatch import Dispatcher, InlineDispatcher, RQDispatcher
from workers.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    app: PipelineApplication
    db: ReadDatabase
    dispatcher: Dispatcher = field(init=False)
    sessions: sessions.SessionStore = field(init=False)
    tokens: sessions.TokenStore = field(init=False)
    outbox: mail.Outbox = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        sender = mail.SMTPSender(s.smtp_url) if s.smtp_url else mail.FileSender(Path(s.outbox_dir), self._mail_tag)
        self.outbox = mail.Outbox(self.db, sender, s.mail_from)
        self.sessions = sessions.SessionStore(self.db, timedelta(hours=s.session_hours))
        self.tokens = sessions.TokenStore(self.db)
        if s.embedded:
            self.dispatcher = InlineDispatcher(self.app, self.db, s, self.outbox)
        else:
            self.dispatcher = RQDispatcher(s.redis_url or "", s.queue_name, s.redis_timeout_seconds)

    @property
    def keys(self) -> KeyStore:
        return self.app.personal  # type: ignore[return-value]  # build_runtime puts a KeyStore there

    def _mail_tag(self, address: str) -> str:
        """Names a person's .eml files by their email index id, so an erasure can find them."""
        return self.keys.email_index_id(address).hex

    def projections_changed(self, names: Iterable[str] | None = None) -> None:
        """Tell whoever builds projections (by default, all of them) that new events may concern them."""
        self.dispatcher.request_catch_up(list(names) if names is not None else [p.name for p in all_projections()])

    def schedule_goal_decision(self, project_id: str, deadline: datetime) -> None:
        self.dispatcher.schedule_goal_decision(project_id, deadline)

    def send_email(self, message_id: str) -> None:
        self.dispatcher.request_email(message_id)

    def catch_up_all(self) -> list[str]:
        """Catch every projection up (those not waiting out a failure); returns the names
        that failed. One failing projection never holds the others back."""
        for projection in all_projections():
            self.keep_up(projection.name)
        return sorted(failures.current(self.db))

    def keep_up(self, name: str) -> int | None:
        s = self.settings
        return runner.keep_up(
            self.app, self.db, get(name), batch_size=s.batch_size, retry_max=s.projection_retry_max_seconds
        )

    def close(self) -> None:
        self.dispatcher.close()
        self.db.close()
        self.app.close()


def build_runtime(settings: Settings | None = None, *, create_tables: bool = False) -> Runtime:
    settings = settings or Settings.from_env()
    if settings.database_url.startswith("sqlite:"):
        Path(sqlite_path(settings.database_url)).parent.mkdir(parents=True, exist_ok=True)
    ring = secret_key.load_ring(settings)  # before anything opens: refuse to start without a KEK
    timeouts = Timeouts(
        connect=settings.db_connect_timeout_seconds,
        pool=settings.db_pool_timeout_seconds,
        statement=settings.db_statement_timeout_seconds,
    )
    db = open_database(settings.database_url, pool_size=settings.db_pool_size, timeouts=timeouts)
    app = PipelineApplication(
        env=store_env(settings, create_tables=create_tables),
        personal=KeyStore(db, ring),
        passwords=Argon2Hasher(),
    )
    return Runtime(settings, app, db)


def initialise(settings: Settings | None = None) -> RegisterLoad:
    """Create every table, load the council register and bring projections up to date.
    Idempotent: running it again adds nothing. In the embedded mode it also makes
    the key-encryption key file if there is none."""
    settings = settings or Settings.from_env()
    secret_key.ensure_key(settings)
    runtime = build_runtime(settings, create_tables=True)
    try:
        runner.create_tables(runtime.db, all_projections(), keys.DDL + sessions.DDL + mail.DDL + idempotency.DDL)
        sessions.add_token_binding(runtime.db)
        _refuse_unwrapped_keys(runtime.db)
        runtime.keys.ensure_index_key()
        loaded = runtime.app.load_register()
        for name in runtime.catch_up_all():
            log.error("projection %s is failing: see `pipeline projections status`", name)
    finally:
        runtime.close()
    return loaded


def _refuse_unwrapped_keys(db: ReadDatabase) -> None:
    """Databases made before keys were wrapped are not migrated (their email index ids
    were public hashes too): say so instead of failing at the first sign-up."""
    try:
        db.query("SELECT kek_id FROM person_keys WHERE 1 = 0")
    except Exception:  # the driver's own "no such column" error
        raise SystemExit(
            "This database was made before personal keys were wrapped under a key-encryption key and is not"
            " migrated: start with a new database (see README, Personal data and erasure)."
        ) from None
