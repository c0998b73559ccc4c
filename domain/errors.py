"""The small error hierarchy raised by guards; the web layer maps each to a status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    """Base class: a command was refused and nothing was stored."""

    title = "Request refused"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    title = "Not found"


class Conflict(DomainError):
    """The command clashes with something already recorded (e.g. a duplicate)."""

    title = "Conflict"


class RuleBroken(DomainError):
    """The input is well formed but breaks a domain rule."""

    title = "Rule broken"


class DuplicateEmail(Conflict):
    title = "Email already signed up"


class OrganisationNotResolved(RuleBroken):
    """A typed organisation name did not lead to exactly one organisation."""

    title = "Organisation not resolved"

    def __init__(self, detail: str, candidates: Sequence[dict[str, Any]], reason: str = "unknown") -> None:
        super().__init__(detail, candidates=list(candidates))
        self.reason = reason  # "unknown", "ambiguous" or "lookalike": for callers that word it their own way


class RegisterNotLoaded(DomainError):
    """The council register has not been loaded: the operator must run ``pipeline init``."""

    title = "Register not loaded"


class ValidationFailed(DomainError):
    """A field's value is refused by a domain rule (answered as 422 with field errors)."""

    title = "Invalid fields"


class NotAllowed(DomainError):
    """The person may not do this to this thing (answered as 403)."""

    title = "Forbidden"


class LinkExpired(RuleBroken):
    """An emailed link no longer fits the account: its address or password changed since
    it was sent, or a newer link was used (answered as 422, naming the token)."""

    title = "Link no longer valid"

    def __init__(self, detail: str = "That link is not valid: it may have been used or have expired.") -> None:
        super().__init__(detail, errors={"token": ["Unknown, used or expired."]})
