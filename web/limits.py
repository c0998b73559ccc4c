"""Rate limits (Flask-Limiter): per client address on sign-up and sign-in, and per
account on failed sign-ins, which first slow an attacker down and then lock the
account for a while. Redis holds the counters in production, memory when embedded."""

from __future__ import annotations

import time

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from workers.settings import Settings

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="fixed-window")


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        RATELIMIT_ENABLED=settings.rate_limits,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_KEY_PREFIX=f"pipeline-limits:{settings.queue_name}",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.extensions["pipeline_settings"] = settings
    limiter.init_app(app)


class FailedSignIns:
    """Counts failed sign-ins per account; refuses further tries once a limit is hit."""

    def __init__(self, spec: str, enabled: bool) -> None:
        self.limits = parse_many(spec)
        self.enabled = enabled

    def _key(self, account: str) -> str:
        return f"failed-sign-in:{account}"

    def refuse_if_locked(self, account: str) -> None:
        if not self.enabled:
            return
        for limit in self.limits:
            if not limiter.limiter.test(limit, self._key(account)):
                reset_at, _remaining = limiter.limiter.get_window_stats(limit, self._key(account))
                wait = max(int(reset_at - time.time()) + 1, 1)
                raise TooManyRequests(
                    f"Too many failed sign-ins for this account; try again in {wait} seconds.", retry_after=wait
                )

    def record_failure(self, account: str) -> None:
        if self.enabled:
            for limit in self.limits:
                limiter.limiter.hit(limit, self._key(account))
