"""Time what an officer waits for on a big case: merge N opinions, assign, answer.

A migrated central (SQLite file or a temporary PostgreSQL database) receives N
opinions from one laptop through the real ingest; then, in-process, the case is
merged, assigned to a unit and answered, each committed as the office's pages
do. The citizens' messages are sent by the served central's thread
(`langnghe central`), not in the request: the answer is timed without them,
as the officer waits for it. Prints figures; asserts nothing.

    python benchmarks/cases.py [--opinions 200] [--database sqlite postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from field_app.central.accounts.models import Account  # noqa: E402
from field_app.central.cases import logic as cases  # noqa: E402
from field_app.central.catalogue.logic import add_unit  # noqa: E402
from field_app.extensions import db  # noqa: E402
from tests.office_support import MUONG_LA, Laptop, account, office_app  # noqa: E402


def run(backend: str, opinions: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, office_app(Path(tmp), backend) as app:
        laptop = Laptop(app, MUONG_LA, "Máy bản Nà Lò")
        laptop.village("Bản Nà Lò")
        ids = [laptop.opinion("Bản Nà Lò", f"Đường vào bản sạt lở, đoạn {i}")
               for i in range(opinions)]
        laptop.push()
        account(app, "xa")
        with app.test_request_context():
            unit = add_unit(MUONG_LA, "Ban Giao thông").id
            db.session.commit()
            officer = db.session.execute(select(Account).where(
                Account.username == "xa")).scalar_one()
            # As `langnghe central` runs: its sender thread sends the messages queued.
            app.extensions["notify_wake"] = threading.Event()
            case = None
            for step in ("merge", "assign", "answer"):
                began = time.perf_counter()
                if step == "merge":
                    case = cases.merge(officer, ids)
                elif step == "assign":
                    cases.assign(officer, case.id, unit)
                else:
                    cases.answer(officer, case.id, "Đã sửa xong đoạn đường.", "Chủ tịch UBND xã",
                                 "12/UBND")
                db.session.commit()
                print(f"{backend:<11} {step:<7} {opinions:>6} opinions "
                      f"{(time.perf_counter() - began) * 1000:>8.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=200)
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    for backend in args.database:
        run(backend, args.opinions)


if __name__ == "__main__":
    main()
