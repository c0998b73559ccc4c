"""Requests carried out: a write made under an ``Idempotency-Key`` leaves a mark in the log.

The web layer keeps each key's first answer in its own table, written after the command
commits. If the database drops between the two, the answer is lost but the write is not.
So while ``carrying_out(key_id)`` holds, the first ``save()`` also saves a ``RequestMark``
whose id derives from the key, in the same transaction: a retry finds the mark in the log
(the write happened, never run it again), and a second execution cannot commit at all (its
mark's id is taken, the whole save is refused)."""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from uuid import UUID, uuid5

from domain.clock import Aggregate, event
from domain.errors import Conflict

_NAMESPACE = UUID("8f1c3a52-6c55-4f0e-9d7e-2b7c1f0e9a41")


class RequestMark(Aggregate):
    """``key_id`` is the web layer's keyed hash of (owner, key): no key, no owner in clear."""

    @staticmethod
    def create_id(key_id: str) -> UUID:
        return uuid5(_NAMESPACE, key_id)

    class CarriedOut(Aggregate.Created):
        key_id: str

    @event(CarriedOut)
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id


class AlreadyCarriedOut(Conflict):
    """This request (its Idempotency-Key) was carried out before: it is not done again."""

    title = "Already carried out"


@dataclass
class _Carrying:
    key_id: str
    saving: bool = False  # a save carrying the mark is under way (saves nested in it carry none)
    saved: bool = False


_carrying: ContextVar[_Carrying | None] = ContextVar("pipeline_request_carrying", default=None)


def carrying_out(key_id: str) -> Token[_Carrying | None]:
    """From now on in this context, the first successful save carries this request's mark."""
    return _carrying.set(_Carrying(key_id))


def done_carrying(token: Token[_Carrying | None]) -> None:
    try:
        _carrying.reset(token)
    except ValueError:  # set in another context: just forget it
        _carrying.set(None)


def pending_mark() -> RequestMark | None:
    """A new mark for the save about to run, or None (no key, the mark is saved, or a save
    carrying it is under way: an inline follower saving within it must not carry it too).
    Every mark handed out must be settled with ``mark_settled``."""
    carrying = _carrying.get()
    if carrying is None or carrying.saved or carrying.saving:
        return None
    carrying.saving = True
    return RequestMark(carrying.key_id)


def mark_settled(*, saved: bool) -> None:
    carrying = _carrying.get()
    if carrying is not None:
        carrying.saving = False
        carrying.saved = carrying.saved or saved


def committed() -> bool:
    """Whether this context's request has committed a write (its mark is in the log)."""
    carrying = _carrying.get()
    return carrying is not None and carrying.saved
