"""Configuration, read only from the environment (documented in README.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from projections.db import sqlite_path

DEFAULT_DATABASE_URL = "sqlite:///var/pipeline.sqlite3"
SQLITE_EVENT_STORE = "projections.sqlite_events:SecureDeleteSQLiteFactory"  # eventsourcing.sqlite + secure_delete


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{key} must be a whole number, not {raw!r}") from None


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{key} must be a number, not {raw!r}") from None


NUDGE_DAYS = 60  # idle days before a project's key contact is nudged
NUDGE_ANSWER_DAYS = 14  # days given to answer a nudge before the next (and, after two, the quiet mark)
BOOLEAN_WORDS = {"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"}


def check_tuning(env: Mapping[str, str]) -> None:
    """The tuning variables read outside ``Settings`` (by the application through eventsourcing's
    environment, and by the progress reporter): a bad value stops the process here with a message
    naming it, not later with a traceback."""
    if _int(env, "PIPELINE_AGGREGATE_CACHE_MAXSIZE", 0) < 0:
        raise SystemExit("PIPELINE_AGGREGATE_CACHE_MAXSIZE must be 0 (no cache) or more")
    group = env.get("PIPELINE_GROUP_COMMIT", "").strip().lower()
    if group and group not in BOOLEAN_WORDS:
        raise SystemExit(f"PIPELINE_GROUP_COMMIT must be on or off (yes/no, true/false, 1/0), not {group!r}")
    if _float(env, "PIPELINE_PROGRESS_SECONDS", 5.0) <= 0:
        raise SystemExit("PIPELINE_PROGRESS_SECONDS must be more than 0")
    for name, default in (("PIPELINE_NUDGE_DAYS", NUDGE_DAYS), ("PIPELINE_NUDGE_ANSWER_DAYS", NUDGE_ANSWER_DAYS)):
        if not 1 <= _int(env, name, default) <= 3650:
            raise SystemExit(f"{name} must be a whole number of days from 1 to 3650")


def _claim_seconds(env: Mapping[str, str]) -> float:
    seconds = _float(env, "PIPELINE_MAIL_CLAIM_SECONDS", 60.0)
    if not 3 <= seconds <= 3600:
        raise SystemExit("PIPELINE_MAIL_CLAIM_SECONDS must be from 3 to 3600 (seconds)")
    return seconds


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    queue_name: str = "pipeline-projections"
    host: str = "127.0.0.1"
    port: int = 8000
    web_concurrency: int = 2
    web_threads: int = 8
    proxy_hops: int = 0  # reverse proxies in front whose X-Forwarded-For is trusted (nginx: 1)
    read_wait_seconds: float = 5.0
    sweep_seconds: float = 30.0
    mail_claim_seconds: float = 60.0  # a sender that died leaves its message to a sweep after this
    batch_size: int = 500
    max_body_bytes: int = 64 * 1024
    db_pool_size: int = 10
    log_level: str = "INFO"
    smtp_url: str | None = None
    outbox_dir: str = "var/outbox"
    mail_from: str = "Pipeline <no-reply@pipeline.invalid>"
    public_url: str = "http://127.0.0.1:8000"
    session_hours: float = 24.0
    rate_limits: bool = True
    sign_in_ip_limit: str = "30/minute"
    sign_in_failure_limit: str = "5/minute;20/hour"
    sign_up_ip_limit: str = "20/minute;200/day"
    secret_key: str | None = field(default=None, repr=False)  # the KEK itself: never printed
    secret_key_file: str | None = None
    mail_recipient_limit: str = "3/hour;10/day"
    mail_account_limit: str = "5/hour;20/day"
    comment_limit: str = "10/minute;200/day"  # comments and replies one account may post
    rate_limit_storage_url: str | None = None
    rate_limit_timeout_seconds: float = 0.5
    idempotency_hours: float = 24.0
    redis_timeout_seconds: float = 1.5
    db_connect_timeout_seconds: float = 2.0
    db_pool_timeout_seconds: float = 2.0
    db_statement_timeout_seconds: float = 15.0
    db_lock_timeout_seconds: int = 5
    db_retries: int = 2
    projection_retry_max_seconds: float = 60.0
    nudge_days: int = NUDGE_DAYS
    nudge_answer_days: int = NUDGE_ANSWER_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        check_tuning(env)
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("REDIS_URL") or None,
            queue_name=env.get("PIPELINE_QUEUE") or cls.queue_name,
            host=env.get("HOST") or cls.host,
            port=_int(env, "PORT", cls.port),
            web_concurrency=_int(env, "WEB_CONCURRENCY", cls.web_concurrency),
            web_threads=_int(env, "WEB_THREADS", cls.web_threads),
            proxy_hops=_int(env, "PIPELINE_PROXY_HOPS", cls.proxy_hops),
            read_wait_seconds=_float(env, "PIPELINE_READ_WAIT_SECONDS", cls.read_wait_seconds),
            sweep_seconds=_float(env, "PIPELINE_SWEEP_SECONDS", cls.sweep_seconds),
            mail_claim_seconds=_claim_seconds(env),
            batch_size=_int(env, "PIPELINE_BATCH_SIZE", cls.batch_size),
            max_body_bytes=_int(env, "PIPELINE_MAX_BODY_BYTES", cls.max_body_bytes),
            db_pool_size=_int(env, "PIPELINE_DB_POOL_SIZE", cls.db_pool_size),
            log_level=(env.get("LOG_LEVEL") or cls.log_level).upper(),
            smtp_url=env.get("SMTP_URL") or None,
            outbox_dir=env.get("PIPELINE_OUTBOX_DIR") or cls.outbox_dir,
            mail_from=env.get("PIPELINE_MAIL_FROM") or cls.mail_from,
            public_url=(env.get("PIPELINE_PUBLIC_URL") or cls.public_url).rstrip("/"),
            session_hours=_float(env, "PIPELINE_SESSION_HOURS", cls.session_hours),
            rate_limits=(env.get("PIPELINE_RATE_LIMITS") or "on").lower() not in ("off", "0", "no", "false"),
            sign_in_ip_limit=env.get("PIPELINE_SIGN_IN_IP_LIMIT") or cls.sign_in_ip_limit,
            sign_in_failure_limit=env.get("PIPELINE_SIGN_IN_FAILURE_LIMIT") or cls.sign_in_failure_limit,
            sign_up_ip_limit=env.get("PIPELINE_SIGN_UP_IP_LIMIT") or cls.sign_up_ip_limit,
            secret_key=env.get("PIPELINE_SECRET_KEY") or None,
            secret_key_file=env.get("PIPELINE_SECRET_KEY_FILE") or None,
            mail_recipient_limit=env.get("PIPELINE_MAIL_RECIPIENT_LIMIT") or cls.mail_recipient_limit,
            mail_account_limit=env.get("PIPELINE_MAIL_ACCOUNT_LIMIT") or cls.mail_account_limit,
            comment_limit=env.get("PIPELINE_COMMENT_LIMIT") or cls.comment_limit,
            rate_limit_storage_url=env.get("PIPELINE_RATE_LIMIT_STORAGE_URL") or None,
            rate_limit_timeout_seconds=_float(
                env, "PIPELINE_RATE_LIMIT_TIMEOUT_SECONDS", cls.rate_limit_timeout_seconds
            ),
            idempotency_hours=max(_float(env, "PIPELINE_IDEMPOTENCY_HOURS", cls.idempotency_hours), 24.0),
            redis_timeout_seconds=_float(env, "PIPELINE_REDIS_TIMEOUT_SECONDS", cls.redis_timeout_seconds),
            db_connect_timeout_seconds=_float(
                env, "PIPELINE_DB_CONNECT_TIMEOUT_SECONDS", cls.db_connect_timeout_seconds
            ),
            db_pool_timeout_seconds=_float(env, "PIPELINE_DB_POOL_TIMEOUT_SECONDS", cls.db_pool_timeout_seconds),
            db_statement_timeout_seconds=_float(
                env, "PIPELINE_DB_STATEMENT_TIMEOUT_SECONDS", cls.db_statement_timeout_seconds
            ),
            db_lock_timeout_seconds=_int(env, "PIPELINE_DB_LOCK_TIMEOUT_SECONDS", cls.db_lock_timeout_seconds),
            db_retries=_int(env, "PIPELINE_DB_RETRIES", cls.db_retries),
            projection_retry_max_seconds=_float(
                env, "PIPELINE_PROJECTION_RETRY_MAX_SECONDS", cls.projection_retry_max_seconds
            ),
            nudge_days=_int(env, "PIPELINE_NUDGE_DAYS", cls.nudge_days),
            nudge_answer_days=_int(env, "PIPELINE_NUDGE_ANSWER_DAYS", cls.nudge_answer_days),
        )

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    def event_store_env(self, *, create_tables: bool) -> dict[str, str]:
        """The eventsourcing environment for this DATABASE_URL, with each key also under
        the application's prefix (eventsourcing reads PIPELINE_<KEY> before <KEY>), so
        nothing left in the process environment can point the store elsewhere."""
        plain = self._event_store_env(create_tables)
        return {**plain, **{f"PIPELINE_{key}": value for key, value in plain.items()}}

    def _event_store_env(self, create_tables: bool) -> dict[str, str]:
        env = {"CREATE_TABLE": "y" if create_tables else "n"}
        url = self.database_url
        if url.startswith("sqlite:"):
            return {**env, "PERSISTENCE_MODULE": SQLITE_EVENT_STORE, "SQLITE_DBNAME": sqlite_path(url)}
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise SystemExit(f"DATABASE_URL must start with sqlite:/// or postgresql://, not {url!r}")
        return {
            **env,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
