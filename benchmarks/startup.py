"""Start-up: seconds from `langnghe field` until its first page answers (issue 13).

Prepares a data folder once (its database migrated), then starts
`python -m field_app.cli field` on 127.0.0.1 several times and times each until
/healthz answers; prints every run, the median and the slowest, in wall
seconds and in the server process's own CPU seconds until it answered (the
figure that holds on a shared, busy machine). Asserts nothing.

`--against DIR` starts another checkout's field app too, in turn (A B A B).

    python benchmarks/startup.py [--runs 5] [--against DIR]

It times the `field_app` the running Python imports: run it with the venv the
README makes (`pip install .`) to time what a user starts.
"""

from __future__ import annotations

import argparse
import os
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


def cpu_seconds(pid: int) -> float:
    """Return user + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_answer(data: Path, tree: Path) -> tuple[float, float]:
    """Return (wall seconds, server CPU seconds) until the field app of `tree` answers."""
    port = free_port()
    began = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "field_app.cli", "field", "--port",
                               str(port), "--data", str(data)], cwd=tree,
                              env={**os.environ, "PYTHONPATH": str(tree)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = began + 60
        while time.perf_counter() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                return time.perf_counter() - began, cpu_seconds(server.pid)
            except OSError:
                time.sleep(0.01)
        raise SystemExit("the field app did not answer within 60 s")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another checkout, started in turn")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    trees = [("this", root)] + ([("against", args.against.resolve())] if args.against else [])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        subprocess.run([sys.executable, "-m", "field_app.cli", "upgrade-db", "--data",
                        str(data)], check=True, capture_output=True, cwd=root)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in trees}
        for _ in range(args.runs):
            for name, tree in trees:
                times[name].append(first_answer(data, tree))
    for name, runs in times.items():
        walls, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
        print(f"{name}: wall (s) " + " ".join(f"{value:.2f}" for value in walls))
        print(f"{name}: median {statistics.median(walls):.2f} s, slowest {max(walls):.2f} s; "
              f"server CPU until it answered: median {statistics.median(cpus):.2f} s, "
              f"most {max(cpus):.2f} s (database already at its revision)")


if __name__ == "__main__":
    main()
