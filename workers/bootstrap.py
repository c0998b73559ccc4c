"""The composition root: builds the application, the read database, the stores
beside it and the dispatcher that keeps projections up to date, from ``Settings``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import Recording

from domain.application import PipelineApplication, RegisterLoad
from domain.lookalike import claim_existing_names
from projections import failures, rebuilds, runner
from projections.db import ReadDatabase, Timeouts, open_database, sqlite_path
from workers import address_index, follow
from workers.adapters import idempotency, keys, mail, secret_key, sessions
from workers.adapters.keys import KeyStore
from workers.adapters.passwords import Argon2Hasher
from workers.adapters.pgstore import store_env
from workers.adapters.sessions import SessionStore, TokenStore
from workers.dispatch import Dispatcher, InlineDispatcher, RQDispatcher
from workers.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    app: PipelineApplication
    db: ReadDatabase
    dispatcher: Dispatcher = field(init=False)
    sessions: SessionStore = field(init=False)
    tokens: TokenStore = field(init=False)
    outbox: mail.Outbox = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        deadline = mail.send_deadline(s.mail_claim_seconds)  # a live sender finishes inside its claim
        sender: mail.Sender = (
            mail.SMTPSender(s.smtp_url, deadline=deadline)
            if s.smtp_url
            else mail.FileSender(Path(s.outbox_dir), self._mail_tag)
        )
        self.outbox = mail.Outbox(self.db, sender, s.mail_from, claim_seconds=s.mail_claim_seconds)
        self.sessions = SessionStore(self.db, timedelta(hours=s.session_hours))
        self.tokens = TokenStore(self.db)
        if s.embedded:
            self.dispatcher = InlineDispatcher(self.catch_up, self.outbox.send)
        else:
            self.dispatcher = RQDispatcher(s.redis_url or "", s.queue_name, s.redis_timeout_seconds)
        self.app.log_moved = self.projections_changed  # the one place a save is heard of

    @property
    def public_url(self) -> str:
        return self.settings.public_url

    @property
    def keys(self) -> KeyStore:
        return self.app.personal  # type: ignore[return-value]  # build_runtime puts a KeyStore there

    def _mail_tag(self, address: str) -> str:
        """Names a person's .eml files by their email index id, so an erasure can find them."""
        return self.keys.email_index_id(address).hex

    def projections_changed(self, recordings: list[Recording[UUID]]) -> None:
        """After every save: ask for the followers the new events feed (by their topics) to
        catch up: inline when embedded, one RQ job otherwise."""
        self.dispatcher.request_catch_up(follow.affected({r.notification.topic for r in recordings}))

    def catch_up(self, names: Iterable[str] | None = None) -> list[str]:
        """Catch the named followers (default: all) up, those not waiting out a failure, and
        act on what they produced; returns the names failing. One failing follower never
        holds the others back."""
        follow.keep_current(self, names)
        return sorted(failures.current(self.db))

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


def initialise(settings: Settings | None = None, *, reporter: rebuilds.Reporter = rebuilds.quietly) -> RegisterLoad:
    """Create every table, rebuild (beside, then switch) views whose code changed version, load
    the council register and bring projections up to date. Idempotent: running it again adds
    nothing. In the embedded mode it also makes the key-encryption key file if there is none."""
    settings = settings or Settings.from_env()
    secret_key.ensure_key(settings)
    runtime = build_runtime(settings, create_tables=True)
    runtime.app.log_moved = None  # caught up once, below, rather than after every save
    try:
        extra_ddl = keys.DDL + sessions.DDL + mail.DDL + idempotency.DDL
        runner.create_tables(runtime.db, follow.all_followers(), extra_ddl, head=runner.head(runtime.app))
        sessions.add_token_binding(runtime.db)
        mail.migrate(runtime.db)
        _refuse_unwrapped_keys(runtime.db)
        batch_size = max(settings.batch_size, 1000)
        for view, at in rebuilds.migrate(
            runtime.app, runtime.db, follow.all_followers(), batch_size=batch_size, reporter=reporter
        ):
            log.warning(
                "projection %s: rebuilt for version %s, switched in at position %s", view.name, view.version, at
            )
        runtime.keys.ensure_index_key()
        address_index.move_to_mailbox_ids(runtime.app, runtime.keys)  # addresses stored before one canonical form
        loaded = runtime.app.load_register()
        for name in claim_existing_names(runtime.app):
            log.warning(
                "organisation name %r looks like another organisation's (recorded before names were compared)", name
            )
        for name in runtime.catch_up():
            log.error("follower %s is failing: see `pipeline projections status`", name)
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
