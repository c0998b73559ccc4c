"""Rate limits (Flask-Limiter).

- Per client address: sign-up has its own limit; sign-in, email verification and both
  password-reset steps spend ONE shared budget, so guessing passwords and guessing
  tokens cannot be spread over several endpoints.
- Mail: every endpoint that sends mail spends the recipient inbox's budget (shared by
  all of them, and by every spelling of the address: ``+tag``, quoting, case) and, when
  someone is signed in, their account's budget; 40 resends do not make 40 emails.
  Only answers below 400 (mail actually sent) are counted.
- Per account, failed sign-ins first slow an attacker down and then lock the account.

Redis holds the counters in production, memory when embedded. If Redis refuses or hangs
(short socket timeouts), the counters move to this process's memory until it is back:
an outage neither breaks sign-in nor lifts the limits."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from werkzeug.exceptions import TooManyRequests

from domain.addresses import recipient
from domain.person import email_key
from web.http.auth import current_person
from workers.runtime.settings import Settings

log = logging.getLogger(__name__)

SIGN_UP = "people.People"
SHARED_ACCESS_BUDGET = (  # per client address, one budget (setting sign_in_ip_limit)
    "accounts.Sessions",
    "accounts.EmailVerifications",
    "accounts.PasswordResets",
    "accounts.PasswordResetConfirm",
    "accounts.EmailChangeUndo",
)
# endpoint -> (method, does it spend the signed-in account's budget too)
SENDS_MAIL = {
    "people.People": ("POST", False),
    "accounts.PasswordResets": ("POST", False),
    "accounts.VerificationEmail": ("POST", True),
    "accounts.Me": ("PATCH", True),
}
COMMENTS = "comments.ProjectComments"  # per account: posting comments and replies
DEAD_STORAGE_SECONDS = 5.0  # after a storage error, use memory this long before trying again


def _json_email() -> str | None:
    body = request.get_json(silent=True)
    value = body.get("email") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def recipient_key() -> str:
    """Whose inbox this request would mail: the address in the body, else the signed-in
    person's own, in the one form every spelling of that inbox shares (``+tag``, quoting and
    case aside: ``domain.addresses.recipient``). As its keyed email index id, so the
    counters' storage holds no address, nor a hash of one that a guess could be checked against."""
    app = current_app.extensions["pipeline"].app
    address = _json_email()
    if address is None and current_person() is not None:
        address = app.reveal(current_person())["email"]
    return f"to:{app.personal.email_index_id(recipient(address or ''))}"


def account_key() -> str:
    person = current_person()
    return f"account:{person.id}" if person is not None else "account:-"


def _sends_no_mail() -> bool:
    """PATCH /me mails only when the email changes."""
    if request.method != "PATCH":
        return False
    new, person = _json_email(), current_person()
    if new is None or person is None:
        return True
    return email_key(new) == email_key(current_app.extensions["pipeline"].app.reveal(person)["email"] or "")


def _mail_sent(response: Any) -> bool:
    return response.status_code < 400


def _storage(settings: Settings) -> tuple[str, dict[str, Any]]:
    uri = settings.rate_limit_storage_url or settings.redis_url or "memory://"
    if not uri.startswith(("redis://", "rediss://")):
        return uri, {}
    timeout = settings.rate_limit_timeout_seconds
    return uri, {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def init_app(app: Flask, settings: Settings) -> None:
    """One Limiter per app (its storage and key prefix come from this app's settings).
    Call after registering the blueprints."""
    prefix = f"pipeline-limits:{settings.queue_name}"
    uri, options = _storage(settings)
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=uri,
        storage_options=options,
        key_prefix=prefix,
        headers_enabled=True,
        strategy="fixed-window",
        enabled=settings.rate_limits,
        in_memory_fallback_enabled=True,
    )
    _decorate(app, SIGN_UP, limiter.limit(settings.sign_up_ip_limit, methods=["POST"]))
    access = limiter.shared_limit(settings.sign_in_ip_limit, scope="account-access", methods=["POST"])
    for endpoint in SHARED_ACCESS_BUDGET:
        _decorate(app, endpoint, access)
    _limit_mail(app, limiter, settings)
    _decorate(app, COMMENTS, limiter.limit(settings.comment_limit, key_func=account_key, methods=["POST"]))
    app.extensions["pipeline_limiter"] = limiter
    app.extensions["pipeline_counters"] = Counters(limiter, prefix, settings.rate_limits)


def _limit_mail(app: Flask, limiter: Limiter, settings: Settings) -> None:
    for endpoint, (method, per_account) in SENDS_MAIL.items():
        common: dict[str, Any] = {"methods": [method], "exempt_when": _sends_no_mail, "deduct_when": _mail_sent}
        to = limiter.shared_limit(settings.mail_recipient_limit, scope="mail-to", key_func=recipient_key, **common)
        _decorate(app, endpoint, to)
        if per_account:
            by = limiter.shared_limit(settings.mail_account_limit, scope="mail-by", key_func=account_key, **common)
            _decorate(app, endpoint, by)


def _decorate(app: Flask, endpoint: str, decorator: Callable[[Any], Any]) -> None:
    app.view_functions[endpoint] = decorator(app.view_functions[endpoint])


class Counters:
    """Counts per key in the limiter's storage; while that storage fails, in memory."""

    def __init__(
        self, limiter: Limiter, prefix: str, enabled: bool, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limiter, self.prefix, self.enabled = limiter, prefix, enabled
        self.memory: RateLimiter = FixedWindowRateLimiter(MemoryStorage())
        self.clock = clock  # when to try the storage again; tests move it instead of waiting
        self.dead_until = 0.0

    def _call(self, name: str, limit: RateLimitItem, key: str) -> Any:
        if self.clock() >= self.dead_until:
            try:
                return getattr(self.limiter.limiter, name)(limit, key)
            except Exception as error:  # any storage fault (refused, timed out, reset): count in memory
                log.warning("rate limit storage failed (%s); counting in memory", type(error).__name__, exc_info=True)
                self.dead_until = self.clock() + DEAD_STORAGE_SECONDS
        return getattr(self.memory, name)(limit, key)

    def wait_seconds(self, spec: str, key: str) -> int:
        """0 if ``key`` may go on under every limit in ``spec``, else seconds until it may."""
        if not self.enabled:
            return 0
        for limit in parse_many(spec):
            if not self._call("test", limit, f"{self.prefix}:{key}"):
                reset_at, _remaining = self._call("get_window_stats", limit, f"{self.prefix}:{key}")
                return max(int(reset_at - time.time()) + 1, 1)
        return 0

    def hit(self, spec: str, key: str) -> None:
        if self.enabled:
            for limit in parse_many(spec):
                self._call("hit", limit, f"{self.prefix}:{key}")


class FailedSignIns:
    """Counts failed sign-ins per account; refuses further tries once a limit is hit."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.counters: Counters = current_app.extensions["pipeline_counters"]

    def refuse_if_locked(self, account: str) -> None:
        wait = self.counters.wait_seconds(self.spec, f"failed-sign-in:{account}")
        if wait:
            raise TooManyRequests(
                f"Too many failed sign-ins for this account; try again in {wait} seconds.", retry_after=wait
            )

    def record_failure(self, account: str) -> None:
        self.counters.hit(self.spec, f"failed-sign-in:{account}")
