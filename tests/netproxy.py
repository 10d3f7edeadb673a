"""A small TCP proxy on 127.0.0.1 that cuts, delays and throttles connections.

Used by the sync tests (cut a request mid-body, a response mid-way, fail the
first requests) and by the slow-link benchmark (256 kbit/s, 300 ms round
trip). Every loop is bounded by socket timeouts and stops with `stop()`.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What to do to the next connections; counters say what was done."""

    # Cut the connection after this many bytes from the client (mid-request) …
    cut_request_after: int | None = None
    # … or after this many bytes from the server (mid-response); then reset to None.
    cut_response_after: int | None = None
    # How many connections to cut that way (each counts down).
    cuts: int = 1
    # Answer the next N connections with this raw HTTP response instead of forwarding.
    fail_with: bytes | None = None
    failures: int = 0
    # Accept the next N connections and never answer (a link that hangs: timeouts).
    stalls: int = 0
    # Link shape: one-way delay per direction (s) and bandwidth (bytes/s, 0: unlimited).
    one_way_delay: float = 0.0
    bytes_per_second: int = 0
    # Measured.
    connections: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    cut_done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset_counts(self) -> int:
        """Zero the byte and connection counters; return the bytes counted so far."""
        with self.lock:
            moved = self.bytes_up + self.bytes_down
            self.bytes_up = self.bytes_down = self.connections = 0
        return moved

    def counts(self, settle: float = 0.3) -> tuple[int, int, int]:
        """Return (bytes up, bytes down, connections) once the pipes have moved the last bytes."""
        time.sleep(settle)
        with self.lock:
            return self.bytes_up, self.bytes_down, self.connections


class FaultProxy:
    """Forward 127.0.0.1:<port> to the target, applying `faults`."""

    def __init__(self, target_port: int, faults: Faults | None = None) -> None:
        self.target = ("127.0.0.1", target_port)
        self.faults = faults or Faults()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> FaultProxy:
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                continue
            with self.faults.lock:
                self.faults.connections += 1
                fail = self.faults.failures > 0 and self.faults.fail_with
                if fail:
                    self.faults.failures -= 1
                stall = not fail and self.faults.stalls > 0
                if stall:
                    self.faults.stalls -= 1
                cut_up = cut_down = None
                if self.faults.cuts > 0 and (self.faults.cut_request_after is not None
                                             or self.faults.cut_response_after is not None):
                    cut_up = self.faults.cut_request_after
                    cut_down = self.faults.cut_response_after
                    self.faults.cuts -= 1
            if fail:
                threading.Thread(target=self._fail, args=(client, fail), daemon=True).start()
                continue
            if stall:
                threading.Thread(target=self._stall, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.settimeout(0.5)
            done = threading.Event()
            threading.Thread(target=self._pipe, args=(client, upstream, cut_up, True, done),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, cut_down, False, done),
                             daemon=True).start()

    def _stall(self, client: socket.socket) -> None:
        # Hold the connection, say nothing, until the client gives up (bounded: 30 s).
        self._stop.wait(30)
        client.close()

    def _fail(self, client: socket.socket, response: bytes) -> None:
        client.settimeout(2)
        try:
            client.recv(65536)
            client.sendall(response)
        except OSError:
            pass
        finally:
            client.close()

    def _pipe(self, source: socket.socket, sink: socket.socket, cut_after: int | None,
              upward: bool, done: threading.Event) -> None:
        moved = 0
        faults = self.faults
        last_data = 0.0
        idle_deadline = time.monotonic() + 600
        try:
            while not self._stop.is_set() and not done.is_set():
                if time.monotonic() > idle_deadline:
                    break
                try:
                    data = source.recv(4096 if faults.bytes_per_second else 65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                idle_deadline = time.monotonic() + 600
                if cut_after is not None and moved + len(data) > cut_after:
                    sink.sendall(data[:max(0, cut_after - moved)])
                    with faults.lock:
                        faults.cut_done += 1
                    break
                # Propagation delay once per burst (a request or an answer), not per packet.
                if faults.one_way_delay and time.monotonic() - last_data > 0.05:
                    time.sleep(faults.one_way_delay)
                if faults.bytes_per_second:
                    time.sleep(len(data) / faults.bytes_per_second)
                sink.sendall(data)
                last_data = time.monotonic()
                moved += len(data)
                with faults.lock:
                    if upward:
                        faults.bytes_up += len(data)
                    else:
                        faults.bytes_down += len(data)
        except OSError:
            pass
        finally:
            done.set()
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
