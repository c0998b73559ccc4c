"""The wait between automatic tries of a failing projection."""

from __future__ import annotations

from projections.failures import backoff, describe


def test_each_later_try_waits_longer_up_to_the_bound() -> None:
    waits = [backoff(attempt, most=60) for attempt in range(1, 12)]
    assert waits[:4] == [1, 2, 4, 8]
    assert waits == sorted(waits) and max(waits) == 60
    assert backoff(10_000, most=60) == 60


def test_a_recorded_error_never_holds_nul_and_is_bounded() -> None:
    text = describe(ValueError("bad \x00 value " + "x" * 5000))
    assert "\x00" not in text and text.startswith("ValueError: bad \\0 value")
    assert len(text) <= 1000
