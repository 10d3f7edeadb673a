"""Hybrid logical clock (HLC): orders changes without trusting laptop clocks.

Village laptops keep wrong clocks (days or years off, or reset to 2000 after
a flat CMOS battery). An HLC stamp is (wall milliseconds, counter, node):
it never goes backwards on one node, it moves past every stamp the node has
seen from others, and ties are broken by the node id, so every pair of
stamps is ordered the same way on every machine.

A stamp from another node far ahead of the local wall clock is not adopted
(that would drag every later local change into the future); `receive`
reports it as suspect so the caller can flag the record.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# A remote clock more than this far ahead of ours is not trusted.
MAX_DRIFT_MS = 24 * 60 * 60 * 1000
_COUNTER_LIMIT = 0xFFFF
_ENCODED = re.compile(r"^(\d{13})-([0-9a-f]{4})-([A-Za-z0-9_.:-]{1,64})$")
# A stamp exactly as `encode` writes it (fullmatch, ASCII): no groups, a third faster.
_AS_ENCODED = re.compile(r"[0-9]{13}-[0-9a-f]{4}-[A-Za-z0-9_.:-]{1,64}")


class ClockError(ValueError):
    """A stamp that cannot be read or a clock that cannot move on."""


@dataclass(frozen=True, order=True)
class Stamp:
    """One HLC stamp; compares in causal-then-node order."""

    wall_ms: int
    counter: int
    node: str

    def encode(self) -> str:
        """Return the stamp as text that sorts like the stamp itself."""
        return f"{self.wall_ms:013d}-{self.counter:04x}-{self.node}"

    @classmethod
    def read(cls, text: str) -> tuple[int, str]:
        """Return (wall milliseconds, `decode(text).encode()`) without making a Stamp.

        A stamp as `encode` writes it is its own encoding; only an odd one (other
        digits than ASCII, a final new line) is decoded and written again.
        """
        if text.isascii() and _AS_ENCODED.fullmatch(text):
            return int(text[:13]), text
        match = _ENCODED.match(text)
        if match is None:
            raise ClockError(f"not an HLC stamp: {text!r}")
        if match.end() == len(text) and text.isascii():
            return int(text[:13]), text
        stamp = cls.decode(text)
        return stamp.wall_ms, stamp.encode()

    @classmethod
    def decode(cls, text: str) -> Stamp:
        """Read a stamp written by `encode`; refuse anything else."""
        match = _ENCODED.match(text)
        if match is None:
            raise ClockError(f"not an HLC stamp: {text!r}")
        return cls(int(match.group(1)), int(match.group(2), 16), match.group(3))


class HybridClock:
    """The HLC of one node (a laptop, or the central server)."""

    def __init__(self, node: str, wall: Callable[[], float] = time.time,
                 last: Stamp | None = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", node):
            raise ClockError(f"bad node id: {node!r}")
        self.node = node
        self._wall = wall
        self._last = last or Stamp(0, 0, node)
        self._lock = threading.Lock()

    @property
    def last(self) -> Stamp:
        return self._last

    def _wall_ms(self) -> int:
        return int(self._wall() * 1000)

    def _advance(self, wall_ms: int, counter: int) -> Stamp:
        if counter > _COUNTER_LIMIT:
            # 65,536 events in one millisecond: move the logical time on instead.
            wall_ms, counter = wall_ms + 1, 0
        self._last = Stamp(wall_ms, counter, self.node)
        return self._last

    def now(self) -> Stamp:
        """Return a stamp for a local change, later than every stamp seen so far."""
        with self._lock:
            wall = self._wall_ms()
            if wall > self._last.wall_ms:
                return self._advance(wall, 0)
            return self._advance(self._last.wall_ms, self._last.counter + 1)

    def receive(self, remote: Stamp) -> tuple[Stamp, bool]:
        """Take in a stamp from another node; return (new local stamp, suspect).

        `suspect` is True when the remote stamp is further ahead of this
        node's wall clock than MAX_DRIFT_MS: it is not adopted, and the
        record carrying it should be flagged for a person to look at.
        """
        with self._lock:
            wall = self._wall_ms()
            if remote.wall_ms - wall > MAX_DRIFT_MS:
                if wall > self._last.wall_ms:
                    return self._advance(wall, 0), True
                return self._advance(self._last.wall_ms, self._last.counter + 1), True
            top = max(wall, self._last.wall_ms, remote.wall_ms)
            if top == self._last.wall_ms == remote.wall_ms:
                counter = max(self._last.counter, remote.counter) + 1
            elif top == self._last.wall_ms:
                counter = self._last.counter + 1
            elif top == remote.wall_ms:
                counter = remote.counter + 1
            else:
                counter = 0
            return self._advance(top, counter), False
