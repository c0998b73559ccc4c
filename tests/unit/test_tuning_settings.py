"""The tuning variables read outside Settings are checked with it: a bad value is a message
naming the variable, never a traceback from deep inside a command."""

import pytest

from workers.runtime.settings import Settings


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("PIPELINE_AGGREGATE_CACHE_MAXSIZE", "lots", "PIPELINE_AGGREGATE_CACHE_MAXSIZE must be a whole number"),
        ("PIPELINE_AGGREGATE_CACHE_MAXSIZE", "-1", "PIPELINE_AGGREGATE_CACHE_MAXSIZE must be 0"),
        ("PIPELINE_GROUP_COMMIT", "maybe", "PIPELINE_GROUP_COMMIT must be on or off"),
        ("PIPELINE_PROGRESS_SECONDS", "soon", "PIPELINE_PROGRESS_SECONDS must be a number"),
        ("PIPELINE_PROGRESS_SECONDS", "0", "PIPELINE_PROGRESS_SECONDS must be more than 0"),
        ("PIPELINE_NUDGE_DAYS", "two months", "PIPELINE_NUDGE_DAYS must be a whole number"),
        ("PIPELINE_NUDGE_DAYS", "0", "PIPELINE_NUDGE_DAYS must be a whole number of days from 1"),
        ("PIPELINE_NUDGE_ANSWER_DAYS", "-3", "PIPELINE_NUDGE_ANSWER_DAYS must be a whole number of days from 1"),
    ],
)
def test_a_bad_tuning_value_stops_with_its_name(name: str, value: str, said: str) -> None:
    with pytest.raises(SystemExit, match=said):
        Settings.from_env({name: value})


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"PIPELINE_AGGREGATE_CACHE_MAXSIZE": "0", "PIPELINE_GROUP_COMMIT": "off", "PIPELINE_PROGRESS_SECONDS": "0.5"},
        {"PIPELINE_AGGREGATE_CACHE_MAXSIZE": "", "PIPELINE_GROUP_COMMIT": "Yes"},
    ],
)
def test_good_tuning_values_are_taken(env: dict[str, str]) -> None:
    assert Settings.from_env(env).database_url


def test_nudge_days_default_to_sixty_and_fourteen_and_can_be_chosen() -> None:
    assert (Settings.from_env({}).nudge_days, Settings.from_env({}).nudge_answer_days) == (60, 14)
    chosen = Settings.from_env({"PIPELINE_NUDGE_DAYS": "30", "PIPELINE_NUDGE_ANSWER_DAYS": "7"})
    assert (chosen.nudge_days, chosen.nudge_answer_days) == (30, 7)
