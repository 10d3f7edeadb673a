"""Start-up: seconds from `langnghe field` until its first page answers (issue 13).

Prepares a data folder once (its database migrated), then starts
`python -m field_app.cli field` on 127.0.0.1 several times and times each until
/healthz answers; prints every run, the median and the slowest. Asserts nothing.

    python benchmarks/startup.py [--runs 5]

It times the `field_app` the running Python imports: run it with the venv the
README makes (`pip install .`) to time what a user starts.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_answer(data: Path) -> float:
    port = free_port()
    began = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "field_app.cli", "field", "--port",
                               str(port), "--data", str(data)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = began + 60
        while time.perf_counter() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                return time.perf_counter() - began
            except OSError:
                time.sleep(0.01)
        raise SystemExit("the field app did not answer within 60 s")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        subprocess.run([sys.executable, "-m", "field_app.cli", "upgrade-db", "--data",
                        str(data)], check=True, capture_output=True)
        times = [first_answer(data) for _ in range(args.runs)]
    print("runs (s):", " ".join(f"{value:.2f}" for value in times))
    print(f"median {statistics.median(times):.2f} s, slowest {max(times):.2f} s "
          "(database already at its revision: no migration runs)")


if __name__ == "__main__":
    main()
