"""The hybrid logical clock that will order sync changes (sync/clock.py)."""

from itertools import pairwise

import pytest

from sync.clock import MAX_DRIFT_MS, ClockError, HybridClock, Stamp

DAY = 86_400.0


class FakeWall:
    """A wall clock the test sets by hand (laptop clocks are often wrong)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __call__(self) -> float:
        return self.seconds


def test_local_stamps_never_go_backwards_when_the_clock_is_set_back():
    wall = FakeWall(1_764_000_000.0)
    clock = HybridClock("laptop-1", wall)
    first = clock.now()
    wall.seconds = 946_684_800.0  # someone sets the laptop to 1 January 2000
    second = clock.now()
    assert second > first
    assert second.wall_ms == first.wall_ms and second.counter == first.counter + 1


def test_stamps_move_past_what_was_received():
    laptop = HybridClock("laptop-1", FakeWall(1_000.0))
    central = HybridClock("central", FakeWall(1_000.0 + 3600))
    incoming = central.now()
    merged, suspect = laptop.receive(incoming)
    assert not suspect
    assert merged > incoming and laptop.now() > incoming


def test_a_clock_a_year_ahead_is_flagged_not_adopted():
    laptop = HybridClock("laptop-1", FakeWall(1_000_000.0))
    future = Stamp(int((1_000_000.0 + 365 * DAY) * 1000), 0, "laptop-2")
    merged, suspect = laptop.receive(future)
    assert suspect
    assert merged.wall_ms == 1_000_000_000  # still our own time
    within = Stamp(int(1_000_000.0 * 1000) + MAX_DRIFT_MS - 1, 0, "laptop-2")
    assert laptop.receive(within)[1] is False


def test_the_same_instant_on_two_nodes_is_ordered_by_node():
    a = HybridClock("a", FakeWall(5.0)).now()
    b = HybridClock("b", FakeWall(5.0)).now()
    assert a < b and sorted([b, a]) == [a, b]


def test_encoded_stamps_sort_like_stamps_and_round_trip():
    clock = HybridClock("laptop-1", FakeWall(1_764_000_000.0))
    stamps = [clock.now() for _ in range(5)]
    stamps.append(Stamp(9, 0, "z"))
    encoded = [s.encode() for s in stamps]
    assert sorted(encoded) == [s.encode() for s in sorted(stamps)]
    assert [Stamp.decode(e) for e in encoded] == stamps


@pytest.mark.parametrize("text", ["", "12-0000-x", "0000000000001-zzzz-x",
                                  "0000000000001-0000-bad node", "0000000000001-0000-"])
def test_malformed_stamps_are_refused(text):
    with pytest.raises(ClockError):
        Stamp.decode(text)


def test_a_burst_of_events_in_one_millisecond_keeps_increasing():
    clock = HybridClock("laptop-1", FakeWall(1.0))
    stamps = [clock.now() for _ in range(70_000)]
    assert all(later > earlier for earlier, later in pairwise(stamps))
