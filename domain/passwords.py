"""Password policy: long enough, not common, not about the person. No composition rules."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from domain.addresses import mailbox
from domain.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 copes with more; a cap stops silly request bodies
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common_passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    return frozenset(line.strip().casefold() for line in COMMON_PASSWORDS.read_text().splitlines() if line.strip())


def _repeats_a_short_unit(password: str) -> bool:
    """'aaaaaaaaaaaa', 'abcabcabcabc', '121212121212'."""
    n = len(password)
    return any(n % size == 0 and password == password[:size] * (n // size) for size in range(1, n // 2 + 1))


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Why ``password`` is refused; empty if it is acceptable."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        found.append(f"Use at most {MAX_LENGTH} characters.")
    folded = password.casefold()
    if folded in common_passwords():
        found.append("This is one of the most common passwords; choose another.")
    elif len(password) >= MIN_LENGTH and _repeats_a_short_unit(folded):
        found.append("This password repeats a short pattern; choose another.")
    local_part = mailbox(email).rpartition("@")[0] if "@" in email else email.casefold()
    if (len(local_part) >= 4 and local_part in folded) or (name and folded == name.casefold()):
        found.append("Do not use your name or email address in your password.")
    return found


def check(password: str, *, email: str = "", name: str = "") -> None:
    """Raise ``ValidationFailed`` (field ``password``) if the password is refused."""
    found = problems(password, email=email, name=name)
    if found:
        raise ValidationFailed("The password is not acceptable.", errors={"password": found})
