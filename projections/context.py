"""What a follower may consult while it maps a batch, besides the events themselves.

Views consult nothing (they are pure mappings); a process such as the notifier looks up
people, projects and their choices. The runner passes this through untouched; the
composition root's ``Runtime`` is one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from domain.personal import PersonalData

if TYPE_CHECKING:
    from domain.application import PipelineApplication
    from projections.db import ReadDatabase


class FollowerKeys(PersonalData, Protocol):
    """The personal-data key store, and the secrets it derives (to sign links)."""

    def server_secret(self, purpose: bytes) -> bytes: ...


class FollowerContext(Protocol):
    @property
    def app(self) -> PipelineApplication: ...

    @property
    def db(self) -> ReadDatabase: ...

    @property
    def keys(self) -> FollowerKeys: ...

    @property
    def public_url(self) -> str:
        """Where the service is reached, for the links a message carries."""
        ...
