"""The composition root: builds the application, the read database, the stores
beside it and the dispatcher that keeps projections up to date, from ``Settings``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import Recording

from domain.application import PipelineApplication, RegisterLoad
from domain.lookalike import claim_existing_names
from projections import failures, rebuilds, runner
from projections.db import ReadDatabase, Timeouts, open_database, sqlite_path
from projections.leases import Leases, open_leases
from projections.people import verified_members
from workers.adapters import idempotency, keys, mail, secret_key, sessions
from workers.adapters.keys import KeyStore
from workers.adapters.passwords import Argon2Hasher
from workers.adapters.pgstore import store_env
from workers.adapters.sessions import SessionStore, TokenStore
from workers.runtime import address_index, follow
from workers.runtime.dispatch import Dispatcher, InlineDispatcher, RQDispatcher
from workers.runtime.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What a web process, a CLI command or a worker uses; ``build_runtime`` makes it."""

    settings: Settings
    app: PipelineApplication
    db: ReadDatabase
    keys: KeyStore
    dispatcher: Dispatcher
    sessions: SessionStore
    tokens: TokenStore
    outbox: mail.Outbox
    leases: Leases

    @property
    def public_url(self) -> str:
        return self.settings.public_url

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
        self.leases.close()
        self.db.close()
        self.app.close()


def build_runtime(
    settings: Settings | None = None, *, create_tables: bool = False, follow_saves: bool = True
) -> Runtime:
    """The one place the runtime is wired. ``follow_saves``: every save asks the followers
    to catch up (off while ``initialise`` writes, which catches up once at the end)."""
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
    key_store = KeyStore(db, ring)
    # The save callback and the inline dispatcher act on the runtime built last, below: they
    # look it up when called (after this returns), so nothing is attached to it afterwards.
    runtime: Runtime
    app = PipelineApplication(
        env=store_env(settings, create_tables=create_tables),
        personal=key_store,
        passwords=Argon2Hasher(),
        log_moved=(lambda recordings: runtime.projections_changed(recordings)) if follow_saves else None,
    )
    sender = _sender(settings, key_store)
    outbox = mail.Outbox(db, sender, settings.mail_from, claim_seconds=settings.mail_claim_seconds)
    session_store = SessionStore(db, timedelta(hours=settings.session_hours))
    tokens = TokenStore(db)
    dispatcher: Dispatcher = (
        InlineDispatcher(lambda names: runtime.catch_up(names), outbox.send)
        if settings.embedded
        else RQDispatcher(settings.redis_url or "", settings.queue_name, settings.redis_timeout_seconds)
    )
    leases = open_leases(settings.database_url, timeouts)
    runtime = Runtime(settings, app, db, key_store, dispatcher, session_store, tokens, outbox, leases)
    app.members_hint = lambda org_id: [UUID(found) for found in verified_members(db, str(org_id))]
    return runtime


def _sender(settings: Settings, keys: KeyStore) -> mail.Sender:
    """SMTP if configured, else .eml files named by each person's email index id (so an
    erasure can find them)."""
    if settings.smtp_url:
        deadline = mail.send_deadline(settings.mail_claim_seconds)  # a live sender finishes inside its claim
        return mail.SMTPSender(settings.smtp_url, deadline=deadline)
    return mail.FileSender(Path(settings.outbox_dir), lambda address: keys.email_index_id(address).hex)


def initialise(settings: Settings | None = None, *, reporter: rebuilds.Reporter = rebuilds.quietly) -> RegisterLoad:
    """Create every table, rebuild (beside, then switch) views whose code changed version, load
    the council register and bring projections up to date. Idempotent: running it again adds
    nothing. In the embedded mode it also makes the key-encryption key file if there is none."""
    settings = settings or Settings.from_env()
    secret_key.ensure_key(settings)
    runtime = build_runtime(settings, create_tables=True, follow_saves=False)  # caught up once, below
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
