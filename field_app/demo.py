"""`langnghe demo`: a central and a field laptop on this machine, synced, with sample data."""

from __future__ import annotations

import tempfile
import threading
from datetime import datetime
from pathlib import Path

import click

from .cli_text import _

SAMPLE_OPINIONS = (
    ("Lò Văn Minh", "construction",
     "Đường từ bản ra trung tâm xã bị sạt lở 3 đoạn sau mưa lũ, xe máy không đi được; "
     "đề nghị xã sớm khắc phục trước mùa thu hoạch."),
    ("Quàng Thị Hoa", "water",
     "Công trình nước sinh hoạt tự chảy của bản hỏng đường ống từ tháng 8, 40 hộ phải "
     "gánh nước suối."),
    ("Cà Văn Thắng", "land",
     "Đề nghị xã hướng dẫn thủ tục cấp giấy chứng nhận quyền sử dụng đất cho các hộ "
     "đã sử dụng ổn định từ trước năm 2004."),
    ("Lường Thị Xuân", "social_policy",
     "Gia đình tôi thuộc hộ cận nghèo nhưng chưa được cấp thẻ bảo hiểm y tế năm 2026."),
    ("", "electricity", "Điện chập chờn vào buổi tối, đề nghị kiểm tra trạm biến áp của bản."),
    ("Tòng Văn Khánh", "education",
     "Điểm trường mầm non của bản thiếu nhà vệ sinh, đề nghị xã hỗ trợ xây dựng."),
)


def _serve(app, port: int, host: str = "127.0.0.1") -> None:
    from waitress.server import create_server

    server = create_server(app, host=host, port=port, threads=4, ident="langnghe")
    threading.Thread(target=server.run, daemon=True, name=f"demo-{port}").start()


def sample_forum(commune_code: int = 3808):
    """Set the laptop up for Mường La (three villages) and open one forum in Bản Nà Lò."""
    from .areas import logic as areas
    from .forums import logic as forums

    commune = areas.choose_commune(commune_code)
    villages = [areas.add_village(commune, name, None, households)
                for name, households in (("Bản Nà Lò", 120), ("Bản Đán", 85),
                                         ("Tiểu khu 1", 300))]
    return forums.create_forum({
        "kind": "listening", "village_id": villages[0].id,
        "started_at": datetime(2026, 11, 20, 8, 0), "venue": "Nhà văn hóa bản Nà Lò",
        "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa",
        "officials_present": "Phó Chủ tịch UBND xã Cầm Văn Sơn",
        "attendance_total": 64, "attendance_women": 30, "attendance_ethnic_minority": 60,
        "households_represented": 70, "agenda": "Nghe ý kiến của Nhân dân"})


def record_sample(commune_code: int = 3808) -> int:
    """Record the sample forum and its opinions; return how many opinions."""
    from .extensions import db
    from .opinions import logic as opinions

    forum = sample_forum(commune_code)
    for name, category, content in SAMPLE_OPINIONS:
        opinions.create_opinion({"raiser_name": name or None, "anonymous": not name,
                                 "category_code": category, "content": content}, forum)
    db.session.commit()
    return len(SAMPLE_OPINIONS)


def run_demo(central_port: int, field_port: int, data: Path | None, once: bool = False) -> None:
    """Start both nodes, sync them both ways, print where to look; serve until Ctrl+C."""
    from sqlalchemy import select

    from sync import store

    from . import create_app
    from .central.accounts.logic import create_account
    from .central.accounts.models import Account
    from .central.catalogue.logic import add_unit
    from .central.inbox import logic as inbox
    from .central.inbox.models import OfficeOpinion
    from .cli import upgrade_database
    from .extensions import db
    from .outbox import logic as outbox
    from .pwa import lan as lan_mode

    base = Path(data) if data else Path(tempfile.mkdtemp(prefix="langnghe-demo-"))
    central = create_app({"ROLE": "central", "DATA_DIR": base / "central"})
    field = create_app({"DATA_DIR": base / "field"})
    upgrade_database(central)
    upgrade_database(field)
    password = "langnghe-demo"
    central_url = f"http://127.0.0.1:{central_port}"
    # Run again on the same folder: keep what is there, only sync again.
    with central.app_context():
        if db.session.execute(select(Account).where(Account.username == "admin")).first() \
                is None:
            create_account("admin", password)
            db.session.commit()
        with db.engine.begin() as conn:
            code = store.create_enrolment(conn, 3808, "Máy bản Nà Lò")
    from .central import start_workers

    start_workers(central)
    _serve(central, central_port)
    with field.app_context():
        from .areas.logic import current_commune

        count = record_sample() if current_commune() is None else 0
        row = outbox.state()
        if row.device_id is None:
            outbox.enroll(central_url, code, "Máy bản Nà Lò")
        else:  # run again, maybe on other ports: the same central, a new address
            row.server_url = central_url
            db.session.commit()
        first = outbox.run_sync()
        click.echo(_("Máy bản → xã: gửi %(pushed)s bản ghi, %(stored)s xã lưu, %(trips)s "
                     "lượt gửi nhận.", pushed=first.pushed, stored=first.stored,
                     trips=first.round_trips))
    with central.app_context():
        admin = db.session.execute(select(Account).where(Account.username == "admin")).scalar()
        # The sample answer is about the school's toilets: answer that opinion, not whichever
        # of the batch (all received at once) the database happens to list first.
        opinion = db.session.execute(select(OfficeOpinion).where(
            OfficeOpinion.content == SAMPLE_OPINIONS[-1][2]).order_by(
            OfficeOpinion.first_received_at).limit(1)).scalar_one()
        unit = add_unit(opinion.commune_code, "Phòng Kinh tế xã")
        inbox.update_opinion(admin, opinion.id, {
            "status": "answered", "unit_id": unit.id,
            "answer_text": "UBND xã đã giao Phòng Kinh tế khảo sát; dự kiến sửa xong "
                           "trước 31/12/2026.", "answer_by": "Chủ tịch UBND xã"})
        db.session.commit()
    with field.app_context():
        second = outbox.run_sync()
        click.echo(_("Xã → máy bản: mang về %(pulled)s trả lời.", pulled=second.pulled))
    from .outbox.auto import start_auto_sync

    # The demo's laptop syncs by itself every minute, as `langnghe field` does.
    stop_sync = start_auto_sync(field)
    # As `langnghe field`: the laptop only, until the Điện thoại page opens it to phones.
    _serve(field, field_port, lan_mode.LOOPBACK_HOST)
    click.echo("\n" + _("Dữ liệu ở %(path)s", path=base))
    click.echo(_("Máy bản:   http://127.0.0.1:%(port)s/  (vừa ghi %(count)s ý kiến; nút "
                 "'Đồng bộ' ở thanh trên cùng)", port=field_port, count=count))
    click.echo(_("Máy chủ xã: %(url)s/central/  (đăng nhập: admin / %(password)s)",
                 url=central_url, password=password))
    if once:
        stop_sync.set()
        return
    click.echo(_("Ctrl+C để dừng cả hai."))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
