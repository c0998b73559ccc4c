"""The table behind ``Idempotency-Key`` (web.http.idempotency keeps the HTTP side)."""

DDL = (
    """CREATE TABLE IF NOT EXISTS idempotency_keys (
        key_hash TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        answer TEXT)""",
    "CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at)",
)
