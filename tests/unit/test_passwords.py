"""The password policy: length, common passwords, patterns, personal words; no composition rules."""

from __future__ import annotations

import pytest

from domain import passwords
from domain.errors import ValidationFailed


@pytest.mark.parametrize("password", ["correct horse battery", "Tr0ub4dor&3-xyzzy", "an entirely lowercase phrase"])
def test_long_uncommon_passwords_are_accepted_without_composition_rules(password: str) -> None:
    assert passwords.problems(password) == []


def test_a_short_password_is_refused() -> None:
    assert passwords.problems("short pass") == ["Use at least 12 characters."]


@pytest.mark.parametrize("password", ["qwerty123456", "QWERTY123456", "leavemealone", "1qaz2wsx3edc"])
def test_a_common_password_is_refused_whatever_its_case(password: str) -> None:
    assert "one of the most common passwords" in " ".join(passwords.problems(password))


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abcabcabcabc", "121212121212"])
def test_a_repeated_short_pattern_is_refused(password: str) -> None:
    assert passwords.problems(password) == ["This password repeats a short pattern; choose another."]


def test_a_password_containing_the_email_name_is_refused() -> None:
    found = passwords.problems("jane.smith-2026!", email="Jane.Smith@wigan.gov.uk")
    assert found == ["Do not use your name or email address in your password."]


def test_check_raises_a_field_error_for_the_password() -> None:
    with pytest.raises(ValidationFailed) as refused:
        passwords.check("password")
    assert set(refused.value.extra["errors"]) == {"password"}
    assert len(refused.value.extra["errors"]["password"]) == 2  # too short, and common


def test_the_shipped_list_holds_thirty_thousand_common_passwords() -> None:
    common = passwords.common_passwords()
    assert len(common) == 30_000
    assert {"123456", "password", "qwerty"} <= common
