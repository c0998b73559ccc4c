"""Outgoing email: an outbox table, and senders for SMTP or .eml files.

A message is stored first, then sent by an RQ job (production) or right after the
request (embedded). A failed send leaves the message in the outbox with its error
and attempt count, and is tried again; a sent message keeps only its metadata.

Who sends a message is decided in the outbox, never in RQ's registries: a sender claims
the row (``claimed_until``) in one conditional UPDATE, and a claim lapses after
``PIPELINE_MAIL_CLAIM_SECONDS``. Each send is bounded by a deadline shorter than its
claim, so a live sender never loses its claim mid-send; a sender that died (kill -9, a
lost machine) leaves a claim that lapses, and the next sweep (``send_unsent``, which
needs no Redis) sends the message. The guarantee: at least once; exactly once unless a
sender dies between the mail server accepting the message and the row being marked sent.
A repeat keeps its Message-ID, so mail servers and clients can recognise it."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import smtplib
import socket
import ssl
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from projections.base import timestamp
from projections.db import ReadDatabase
from workers.adapters.forgetting import INSTEAD, Names, forget_eml_files

log = logging.getLogger(__name__)

DDL = (
    """CREATE TABLE IF NOT EXISTS outbox (
        id TEXT PRIMARY KEY,
        person_id TEXT,
        kind TEXT NOT NULL,
        recipient TEXT,
        subject TEXT,
        body TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        dedupe TEXT,
        claimed_until TEXT,
        html TEXT,
        unsubscribe_url TEXT,
        events TEXT,
        project_id TEXT)""",
    "CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (sent_at, created_at)",
    "CREATE INDEX IF NOT EXISTS outbox_by_person ON outbox (person_id, created_at)",
    # What the notifier keeps for a person's digest (daily or weekly) until it goes out in one.
    """CREATE TABLE IF NOT EXISTS digest_items (
        dedupe TEXT PRIMARY KEY,
        person_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        project_id TEXT,
        project_title TEXT,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        events TEXT NOT NULL,
        created_at TEXT NOT NULL,
        digest_id TEXT)""",
    "CREATE INDEX IF NOT EXISTS digest_items_by_person ON digest_items (person_id, digest_id, created_at)",
)
LATER_COLUMNS = ("dedupe", "claimed_until", "html", "unsubscribe_url", "events", "project_id")
# After ``migrate``: one message per (event, recipient, kind), however often the log is replayed.
DEDUPE_DDL = "CREATE UNIQUE INDEX IF NOT EXISTS outbox_dedupe ON outbox (dedupe)"
COLUMNS = {
    "sqlite": "SELECT name FROM pragma_table_info('outbox')",
    "postgres": "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'outbox'",
}
INSERT = (
    "INSERT INTO outbox (id, person_id, kind, recipient, subject, body, created_at, dedupe,"
    " html, unsubscribe_url, events, project_id)"
    " VALUES (:id, :person, :kind, :to, :subject, :body, :now, :dedupe, :html, :unsubscribe_url, :events, :project)"
    " ON CONFLICT DO NOTHING"
)


def migrate(db: ReadDatabase) -> None:
    """Outboxes made by earlier versions lack some columns (the dedupe key and claim since the
    notifier followed the log; the HTML body, unsubscribe link, events and project since issue
    11): add them (old rows keep NULL)."""
    have = {r["name"] for r in db.query(COLUMNS[db.dialect])}
    with db.transaction() as tx:
        for column in LATER_COLUMNS:
            if column not in have:
                tx.execute(f"ALTER TABLE outbox ADD COLUMN {column} TEXT")
        tx.execute(DEDUPE_DDL)


CLAIM_SECONDS = 60.0  # the default of PIPELINE_MAIL_CLAIM_SECONDS
CLAIM = (
    "UPDATE outbox SET claimed_until = :until WHERE id = :id AND sent_at IS NULL"
    " AND (claimed_until IS NULL OR claimed_until < :now)"
)


MAX_ATTEMPTS = 10


def _now() -> str:
    return timestamp(datetime.now(UTC))


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FileSender:
    """Writes each message as an .eml file (the embedded default: read them with any mail client).

    The file name carries ``tag(recipient)`` (the email index id: a keyed hash, not the
    address), to tell files for one mailbox apart at a glance; an erasure reads each file's
    ``To`` as a mailbox instead (``forget``)."""

    def __init__(self, directory: Path, tag: Callable[[str], str] | None = None) -> None:
        self.directory, self._tag = directory, tag

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tag = self._tag(parseaddr(str(message["To"] or ""))[1]) if self._tag else "untagged"
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{tag}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(bytes(message))
        tmp.rename(self.directory / name)  # readers never see half a message

    def forget(self, addresses: Iterable[str], names: Names | None = None) -> int:
        """Delete every file sent to these addresses, whatever their spelling (compared as
        mailboxes, not by the tag in the name: files written before the tag was canonical
        are found too), and take ``names`` out of every other; returns how many changed."""
        deleted, rewritten = forget_eml_files(self.directory, addresses, names or Names(()))
        return deleted + rewritten


def send_deadline(claim_seconds: float) -> float:
    """How long one whole send may take: well inside its claim, so that a live sender
    finishes (or gives up) before another may take the message."""
    return claim_seconds * 2 / 3


def _cut(smtp: smtplib.SMTP, expired: threading.Event) -> None:
    """The deadline passed: end the exchange wherever it stands (a blocked read returns)."""
    expired.set()
    sock = smtp.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class SMTPSender:
    """``smtp://user:pass@host:port`` (STARTTLS with ``?starttls=1``) or ``smtps://...``.
    A send gives up after ``deadline`` seconds in all (each step after ``timeout``)."""

    def __init__(self, url: str, timeout: float = 20, deadline: float = send_deadline(CLAIM_SECONDS)) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        self.tls = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.host, self.port = parts.hostname or "localhost", parts.port or (465 if self.tls else 25)
        self.user, self.password = unquote(parts.username or ""), unquote(parts.password or "")
        self.timeout, self.deadline = min(timeout, deadline), deadline

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        cls = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        kwargs: dict[str, Any] = {"context": context} if self.tls else {}
        smtp = cls(timeout=self.timeout, **kwargs)  # not connected yet: the deadline covers connecting
        # smtplib's timeout bounds each read, and a server trickling bytes never trips it: a
        # watchdog ends the whole exchange at the deadline, so the sender's claim outlives it.
        expired = threading.Event()
        watchdog = threading.Timer(self.deadline, _cut, (smtp, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            with smtp:
                smtp.connect(self.host, self.port)
                if self.starttls:
                    smtp.starttls(context=context)
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except OSError as error:  # smtplib's errors are OSErrors too
            if expired.is_set():
                raise TimeoutError(f"the SMTP exchange took longer than {self.deadline:g} s") from error
            raise
        finally:
            watchdog.cancel()


ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")


def error_text(error: BaseException, recipient: str | None) -> str:
    """What went wrong, as kept in ``last_error`` and shown by the mail log: without the
    recipient's address (an SMTP refusal names it) or any other."""
    text = f"{type(error).__name__}: {error}"
    if recipient:
        text = text.replace(recipient, "<recipient>")
    return ADDRESS.sub("<address>", text)[:500]


def one_line(text: str) -> str:
    """``text`` with every run of whitespace and control characters made one space."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def message_id_for(dedupe: str) -> str:
    """The outbox id of the message with this ``dedupe`` key: the same however often it is written."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pipeline-outbox:{dedupe}"))


def new_message(
    message_id: str,
    person_id: uuid.UUID | None,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    *,
    dedupe: str | None,
    html: str | None = None,
    unsubscribe_url: str | None = None,
    events: Iterable[str] = (),
    project_id: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The INSERT of one message. The subject may be made from user text (a project title):
    it is flattened to one line, so no header can be smuggled in with CR LF. A ``dedupe`` key
    already in the outbox makes it insert nothing."""
    return INSERT, {
        "id": message_id,
        "person": str(person_id) if person_id else None,
        "kind": kind,
        "to": recipient,
        "subject": one_line(subject),
        "body": body,
        "now": _now(),
        "dedupe": dedupe,
        "html": html,
        "unsubscribe_url": unsubscribe_url,
        "events": json.dumps(list(events)),
        "project": project_id,
    }


class SendRequests(Protocol):
    """Who sends a stored message when asked (the runtime's dispatcher: an RQ job in
    production, right away when embedded)."""

    def request_email(self, message_id: str) -> None: ...


# Failures that say the mail server (or the way to it) is down, not that one message is bad.
SERVER_DOWN = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError, socket.gaierror)


class Outbox:
    def __init__(
        self, db: ReadDatabase, sender: Sender, from_address: str, *, claim_seconds: float = CLAIM_SECONDS
    ) -> None:
        self.db, self.sender, self.from_address = db, sender, from_address
        self.claim_seconds = claim_seconds

    def add(self, *, person_id: uuid.UUID | None, kind: str, recipient: str, subject: str, body: str) -> str:
        """Store a message to send now (outside any log follower); returns its id."""
        message_id = str(uuid.uuid4())
        sql, params = new_message(message_id, person_id, kind, recipient, subject, body, dedupe=None)
        with self.db.transaction() as tx:
            tx.execute(sql, params)
        return message_id

    def send(self, message_id: str) -> bool:
        """Send one stored message; True if sent now or before. Failures are recorded, then raised."""
        rows = self.db.query("SELECT * FROM outbox WHERE id = :id", {"id": message_id})
        if not rows or rows[0]["sent_at"] is not None:
            return bool(rows)
        row = rows[0]
        if not self._claim(message_id):
            log.info("%s message %s is being sent by another process", row["kind"], message_id)
            return False
        try:  # building fails too (a bad header): count it, or the message is retried for ever
            self.sender.send(self._build(row))
        except Exception as error:
            with self.db.transaction() as tx:
                tx.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = :error, claimed_until = NULL"
                    " WHERE id = :id",
                    {"id": message_id, "error": error_text(error, row["recipient"])},
                )
            log.warning("sending %s message %s failed: %s", row["kind"], message_id, type(error).__name__)
            raise
        with self.db.transaction() as tx:  # keep the fact, drop the address and the link
            tx.execute(
                "UPDATE outbox SET sent_at = :now, attempts = attempts + 1, recipient = NULL, body = NULL,"
                " html = NULL, unsubscribe_url = NULL, last_error = NULL, claimed_until = NULL WHERE id = :id",
                {"id": message_id, "now": _now()},
            )
        log.info("sent %s message %s", row["kind"], message_id)
        return True

    def _claim(self, message_id: str) -> bool:
        """Take the message for sending, atomically: two processes (a job and a sweep, or the
        embedded server and a CLI command) never both send it. A claim lapses after
        ``claim_seconds``, so a sender that died leaves it to the next sweep."""
        now = datetime.now(UTC)
        until = now + timedelta(seconds=self.claim_seconds)
        params = {"id": message_id, "now": timestamp(now), "until": timestamp(until)}
        with self.db.transaction() as tx:
            return tx.execute(CLAIM, params) == 1

    def _build(self, row: dict[str, Any]) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"] = self.from_address, row["recipient"]
        message["Subject"] = one_line(row["subject"] or "")  # rows stored before add() flattened it
        # The same Message-ID on every try of one outbox row: a message sent again because its
        # sender died after the server took it (before it was marked sent) is a duplicate that
        # mail servers and clients can recognise, not a second message.
        message["Message-ID"] = (
            f"<{row['id']}@pipeline.local>" if row.get("id") else make_msgid(domain="pipeline.local")
        )
        message.set_content(row["body"], cte="8bit")  # links stay copyable in .eml files
        if row.get("html"):  # quoted-printable: no line over SMTP's 998 characters
            message.add_alternative(row["html"], subtype="html", cte="quoted-printable")
        if row.get("unsubscribe_url"):  # RFC 2369 and RFC 8058: mail clients' own unsubscribe button
            message["List-Unsubscribe"] = f"<{row['unsubscribe_url']}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return message

    def unsent(self, limit: int = 100, *, untried: bool = False) -> list[str]:
        """Messages still to send and not claimed by a live sender, oldest first; ``untried``:
        only those never tried (new ones), so a failing mail server is retried by the sweeps,
        not on every write."""
        rows = self.db.query(
            "SELECT id FROM outbox WHERE sent_at IS NULL AND attempts < :max"
            " AND (claimed_until IS NULL OR claimed_until < :now) ORDER BY created_at LIMIT :limit",
            {"max": 1 if untried else MAX_ATTEMPTS, "now": _now(), "limit": limit},
        )
        return [r["id"] for r in rows]

    def send_unsent(self) -> int:
        """The sweep's part: send every unsent message no live sender holds, here and now
        (no queue: a job that died with its worker, or a Redis that hangs, stops nothing).
        A message that fails is recorded and the next one tried; once the mail server
        itself is unreachable, the rest wait for the next sweep. Returns how many were sent."""
        sent = 0
        for message_id in self.unsent():
            try:
                sent += self.send(message_id)
            except SERVER_DOWN:
                log.warning("the mail server is unreachable; unsent mail waits for the next sweep")
                break
            except Exception:  # recorded on the row by send(); one bad message stops no other
                log.debug("message %s not sent; the next one is tried", message_id, exc_info=True)
        return sent

    def forget_name(self, names: Iterable[str], instead: str = INSTEAD) -> None:
        """Other people's messages, digest items and .eml files stop naming an erased person:
        each of their names becomes ``instead`` wherever it stands as words of its own, in any
        case and form (``workers.adapters.forgetting``), as messages written after the
        erasure say it (``workers.notify.notices.base.name_of``). What the mail log shows is then what the
        log itself can still say."""
        forgotten = Names(names)
        if not forgotten:
            return
        tables = {"outbox": ("id", ("subject", "body", "html")), "digest_items": ("dedupe", ("subject", "body"))}
        probes = {f"p{i}": _like(probe) for i, probe in enumerate(forgotten.probes)}
        with self.db.transaction() as tx:
            for table, (key, columns) in tables.items():
                for column in columns:  # lower(): PostgreSQL's LIKE heeds case; SQLite's folds ASCII only
                    found = " OR ".join(
                        f"{column} LIKE :{p} ESCAPE '\\' OR lower({column}) LIKE :{p} ESCAPE '\\'" for p in probes
                    )
                    rows = tx.query(f"SELECT {key} AS key, {column} AS text FROM {table} WHERE {found}", probes)
                    for row in rows:  # our constant names above; the probes are parameters
                        changed = forgotten.replaced(row["text"], instead)
                        if changed != row["text"]:
                            tx.execute(
                                f"UPDATE {table} SET {column} = :text WHERE {key} = :key",
                                {"text": changed, "key": row["key"]},
                            )
        if isinstance(self.sender, FileSender):
            self.sender.forget((), forgotten)

    def forget_person(self, person_id: uuid.UUID, addresses: Iterable[str] = ()) -> None:
        """Drop the person's outbox rows and, with a FileSender, the .eml files sent to
        ``addresses`` (every address they had: the rows keep no address once sent)."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM outbox WHERE person_id = :person", {"person": str(person_id)})
            tx.execute("DELETE FROM digest_items WHERE person_id = :person", {"person": str(person_id)})
        if isinstance(self.sender, FileSender):
            self.sender.forget(addresses)


def _like(text: str) -> str:
    """A LIKE pattern finding ``text`` anywhere (its own % and _ taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
