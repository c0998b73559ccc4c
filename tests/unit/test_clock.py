import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain import clock
from domain.organisation import Organisation

THEN = datetime(2014, 9, 15, 9, 30, tzinfo=UTC)


def test_events_carry_the_set_time_and_the_wall_clock_otherwise() -> None:
    with clock.set_to(THEN) as set_clock:
        organisation = Organisation(kind="supplier", name="Acme Digital")
        set_clock.advance(timedelta(days=3))
        organisation.change_details({"name": "Acme Digital Ltd"}, actor=None)
    after = Organisation(kind="supplier", name="Later Ltd")
    times = [e.timestamp for e in organisation.collect_events()]
    assert times == [THEN, THEN + timedelta(days=3)]
    assert after.created_on > datetime(2026, 1, 1, tzinfo=UTC)


def test_a_set_clock_holds_only_in_its_own_thread() -> None:
    seen: list[datetime] = []
    with clock.set_to(THEN):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
        assert clock.now() == THEN
    assert seen[0] > THEN + timedelta(days=3650)


def test_the_clock_only_moves_forwards_and_needs_a_zone() -> None:
    set_clock = clock.Clock(THEN)
    with pytest.raises(ValueError, match="only moves forwards"):
        set_clock.move_to(THEN - timedelta(seconds=1))
    with pytest.raises(ValueError, match="timezone"):
        clock.Clock(datetime(2014, 9, 15))
    bst = clock.Clock(datetime(2014, 9, 15, 10, 30, tzinfo=timezone(timedelta(hours=1))))
    assert bst.now() == THEN and bst.now().tzinfo == UTC
