"""Rate limits (Flask-Limiter): per client address on sign-up and sign-in, and per
account on failed sign-ins, which first slow an attacker down and then lock the
account for a while. Redis holds the counters in production, memory when embedded."""

from __future__ import annotations

import time

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from workers.settings import Settings

# endpoint -> the setting holding its per-address limit (POST only)
PER_ADDRESS = {
    "people.People": "sign_up_ip_limit",
    "accounts.Sessions": "sign_in_ip_limit",
    "accounts.EmailVerifications": "sign_in_ip_limit",
    "accounts.PasswordResets": "sign_in_ip_limit",
    "accounts.PasswordResetConfirm": "sign_in_ip_limit",
}


def init_app(app: Flask, settings: Settings) -> None:
    """One Limiter per app (its storage and key prefix come from this app's settings),
    applied to the endpoints in ``PER_ADDRESS``. Call after registering the blueprints."""
    prefix = f"pipeline-limits:{settings.queue_name}"
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        key_prefix=prefix,
        headers_enabled=True,
        strategy="fixed-window",
        enabled=settings.rate_limits,
    )
    for endpoint, setting in PER_ADDRESS.items():
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(getattr(settings, setting), methods=["POST"])(view)
    app.extensions["pipeline_limiter"] = limiter
    app.extensions["pipeline_limit_prefix"] = prefix


class FailedSignIns:
    """Counts failed sign-ins per account; refuses further tries once a limit is hit."""

    def __init__(self, spec: str, enabled: bool) -> None:
        self.limits = parse_many(spec)
        self.enabled = enabled
        self.prefix = current_app.extensions["pipeline_limit_prefix"]
        if enabled:  # a disabled Flask-Limiter has no storage to count in
            self.limiter = current_app.extensions["pipeline_limiter"].limiter

    def _key(self, account: str) -> str:
        return f"{self.prefix}:failed-sign-in:{account}"

    def refuse_if_locked(self, account: str) -> None:
        if not self.enabled:
            return
        for limit in self.limits:
            if not self.limiter.test(limit, self._key(account)):
                reset_at, _remaining = self.limiter.get_window_stats(limit, self._key(account))
                wait = max(int(reset_at - time.time()) + 1, 1)
                raise TooManyRequests(
                    f"Too many failed sign-ins for this account; try again in {wait} seconds.", retry_after=wait
                )

    def record_failure(self, account: str) -> None:
        if self.enabled:
            for limit in self.limits:
                self.limiter.hit(limit, self._key(account))
