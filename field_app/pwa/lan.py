"""Phones on the laptop's hotspot: the **Điện thoại** page's switch, `--lan`, the PIN.

`langnghe field` listens on the laptop itself (127.0.0.1) until phone access is
first turned on; then it listens on the laptop's network addresses too (the
hotspot's among them). Windows asks whether Python may use the network the first
time a program listens beyond the laptop: the question comes when the village
head turns phones on and can answer it, not at the first start. Once listening,
it stays so: while phone access is off again, every other device gets a page
telling it to ask the village head to turn phone access on. The laptop's
user turns it on and off on the **Điện thoại** page (or with `--lan` at start);
once on, a browser on another device must first type the short PIN shown on
the laptop's screen. The PIN changes every time access is turned on, so a
phone from an earlier meeting is locked out again. Only a loopback request may
flip the switch: a phone can never turn it on.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    has_app_context,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..errors import error_body
from ..security import check_request
from .rights import LaptopOnly, check_phone_rights, phone_may

LOOPBACK_HOST = "127.0.0.1"
# The servers listening on the laptop's network addresses, by (address, port), in
# app.extensions.
PHONE_LISTENERS = "langnghe_phone_listeners"
PHONE_THREADS = 2
_opening = threading.Lock()
MAX_TRIES = 5
# Across all addresses: a phone can change its address on the hotspot at will, so the
# per-address count alone does not bound guessing. 20 wrong PINs a minute from anywhere
# lock PIN entry for everyone for a minute (a million PINs then take ~35 days).
MAX_TRIES_ALL = 20
LOCK_SECONDS = 60
# Reachable without the PIN: the PIN page itself, its assets, the health check.
OPEN_ENDPOINTS = {"lan.pin", "pwa.health", "static"}

bp = Blueprint("lan", __name__)


def new_pin() -> str:
    """Return a fresh 6-digit PIN."""
    return f"{secrets.randbelow(1_000_000):06d}"


def is_local(address: str | None) -> bool:
    """Tell whether a request comes from the laptop itself."""
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


# Never sent to: a UDP socket's connect() only asks the kernel which local address
# would route there. One per private range: each may route through another interface.
ROUTE_PROBES = ("10.255.255.255", "172.31.255.255", "192.168.255.255", "100.64.0.1")


def _usable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return (ip.version == 4 and not ip.is_loopback and not ip.is_unspecified
            and not ip.is_multicast)


def _from_host_name() -> set[str]:
    found = set()
    for name in {socket.gethostname(), socket.getfqdn()}:
        try:
            found |= {info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)}
        except OSError:
            continue
    return found


def _from_routes() -> set[str]:
    found = set()
    for probe in ROUTE_PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))  # UDP: no packet leaves
                found.add(sock.getsockname()[0])
            except OSError:
                continue
    return found


def _from_fib_trie(path: Path = Path("/proc/net/fib_trie")) -> set[str]:
    """Return the local addresses in Linux's routing trie (every interface)."""
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return set()
    found = set()
    for previous, line in zip(lines, lines[1:], strict=False):
        if line.strip().startswith("/32 host LOCAL") and "--" in previous:
            found.add(previous.split("--", 1)[1].strip())
    return found


def _from_ip_command() -> set[str]:
    """Return the addresses `ip -4 -o addr` lists, where the command exists."""
    if shutil.which("ip") is None:
        return set()
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True,
                             text=True, timeout=3, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {word.split("/")[0] for line in out.splitlines()
            for before, word in zip(line.split(), line.split()[1:], strict=False)
            if before == "inet"}


def lan_addresses() -> list[str]:
    """Return this laptop's IPv4 addresses others on the hotspot can open.

    Asked of the system only, from every source it has (host name, routing
    table, Linux's interface list): no packet is sent and no internet is
    needed. Private addresses (a hotspot's) first.
    """
    found: set[str] = set()
    for source in (_from_host_name, _from_routes, _from_fib_trie, _from_ip_command):
        found |= source()
    usable = [ipaddress.ip_address(a) for a in found if _usable(a)]
    return [str(ip) for ip in sorted(usable, key=lambda ip: (not ip.is_private,
                                                            ip.is_link_local, ip))]


# Every laptop page shows the addresses: ask the system again at most this often.
ADDRESS_TTL = 10.0


def current_addresses() -> list[str]:
    """Return lan_addresses(), remembered for ADDRESS_TTL seconds per app."""
    pin_guard = guard() if has_app_context() else None  # `langnghe field` prints them too
    if pin_guard is None:
        return lan_addresses()
    with pin_guard.lock:
        if time.monotonic() - pin_guard.addresses_at > ADDRESS_TTL:
            pin_guard.addresses = lan_addresses()
            pin_guard.addresses_at = time.monotonic()
        return list(pin_guard.addresses)


def address_urls(port: str | int) -> list[str]:
    """Return the addresses a phone can type to open this laptop on `port`."""
    return [f"http://{address}:{port}/" for address in current_addresses()]


@dataclass
class PinGuard:
    """The PIN of this run and the failed attempts, per address and in all."""

    pin: str
    failures: dict[str, list[float]] = field(default_factory=dict)
    all_failures: list[float] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    addresses_at: float = float("-inf")
    # waitress serves requests on several threads.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def token(self) -> str:
        """Return what a session holds once the PIN was typed (not the PIN itself)."""
        key = current_app.config["SECRET_KEY"].encode()
        return hmac.new(key, self.pin.encode(), hashlib.sha256).hexdigest()[:32]

    def locked_for(self, address: str) -> int:
        """Return the seconds `address` must still wait after too many wrong PINs."""
        with self.lock:
            self.failures[address] = recent = _recent(self.failures.get(address, []))
        return _wait(recent, MAX_TRIES)

    def locked_for_all(self) -> int:
        """Return the seconds everyone must still wait after too many wrong PINs in all."""
        with self.lock:
            self.all_failures = recent = _recent(self.all_failures)
        return _wait(recent, MAX_TRIES_ALL)

    def check(self, address: str, typed: str) -> bool:
        """Tell whether `typed` is the PIN; count a wrong one against `address` and all."""
        if hmac.compare_digest(typed.strip().encode(), self.pin.encode()):
            with self.lock:
                self.failures.pop(address, None)
            return True
        now = time.monotonic()
        with self.lock:
            self.failures.setdefault(address, []).append(now)
            self.all_failures.append(now)
        return False


def _recent(times: list[float]) -> list[float]:
    """Return the failure times of the last LOCK_SECONDS."""
    now = time.monotonic()
    return [t for t in times if now - t < LOCK_SECONDS]


def _wait(recent: list[float], most: int) -> int:
    """Return the seconds until fewer than `most` of the `recent` failures remain."""
    if len(recent) < most:
        return 0
    return int(LOCK_SECONDS - (time.monotonic() - recent[-most])) + 1


def guard() -> PinGuard | None:
    return current_app.extensions.get("langnghe_pin")


def enable_lan(app: Flask, pin: str | None = None) -> PinGuard:
    """Turn phone access on: require `pin` (a new one if None) from every device but
    the laptop itself. Already on: keep the PIN phones were given."""
    pin_guard = app.extensions.get("langnghe_pin")
    if pin_guard is not None and (pin is None or pin_guard.pin == pin):
        return pin_guard
    pin_guard = PinGuard(pin or new_pin())
    app.config["LAN_PIN"] = pin_guard.pin
    app.config["LAN"] = True  # phones type the laptop's IP address: field_app/security.py
    app.extensions["langnghe_pin"] = pin_guard
    return pin_guard


def disable_lan(app: Flask) -> None:
    """Turn phone access off: from now on only the laptop itself is answered."""
    app.extensions.pop("langnghe_pin", None)  # first: the gate reads it
    app.config["LAN"] = False
    app.config["LAN_PIN"] = None


def open_to_phones(app: Flask, port: int) -> list[str]:
    """Listen on each of this laptop's network addresses as well, on `port`, serving
    `app`; an address already listened on is left as it is. Return the addresses that
    could not be opened, each with the system's reason.

    Call when phone access is turned on (and when the phones page is shown, for a
    hotspot started since). Never closed while the app runs: the gate answers phones
    while access is off.
    """
    from waitress.server import create_server

    failed = []
    with _opening:
        listening = app.extensions.setdefault(PHONE_LISTENERS, {})
        with app.app_context():
            addresses = current_addresses()
        for address in addresses:
            if (address, port) in listening:
                continue
            try:
                sock = _bound(address, port)
            except OSError as exc:
                failed.append(f"{address} ({exc.strerror or exc})")
                continue
            server = create_server(app, sockets=[sock], threads=PHONE_THREADS,
                                   ident="langnghe")
            threading.Thread(target=server.run, daemon=True,
                             name=f"phones-{address}").start()
            listening[address, port] = server
    return failed


def _bound(address: str, port: int) -> socket.socket:
    """Return a TCP socket bound to `address`:`port` (closed again if binding fails).

    Bound here, not by waitress: a waitress server that fails to bind leaves its socket
    and its worker threads behind.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if os.name != "nt":  # as waitress does: a restart need not wait for TIME_WAIT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    return sock


def phones_off_refusal():
    """Refuse another device while phone access is off (before any other check).

    Nothing of the laptop's data, nor the Host check's advice to open 127.0.0.1,
    which a phone cannot use: a page (or a JSON error) telling whom to ask.
    """
    if guard() is not None or is_local(request.remote_addr):
        return None
    if request.endpoint == "static":
        # The page's style sheet: public files, served here since the Host check
        # after this refuses the laptop's IP address while phone access is off.
        return current_app.send_static_file(request.view_args["filename"])
    message = _("Máy tính chạy Lắng Nghe chưa mở cho điện thoại. Hãy nhờ trưởng bản (người "
                "dùng máy tính) bấm “Điện thoại” ở thanh trên cùng rồi “Mở cho điện thoại”, "
                "sau đó tải lại trang này và nhập mã PIN hiện trên máy tính.")
    if request.path.startswith("/api/"):
        return error_body(403, "phones_off", message)
    response = make_response(render_template("pwa/phones_off.html", message=message), 403)
    response.headers["Cache-Control"] = "no-store"  # the answer changes with the switch
    return response


def require_pin():
    """While phone access is on, let another device in only with this run's PIN."""
    pin_guard = guard()
    if pin_guard is None or is_local(request.remote_addr) \
            or request.endpoint in OPEN_ENDPOINTS:
        return None
    if session.get("lan") == pin_guard.token:
        check_phone_rights()  # a phone records; the rest stays on the laptop
        return None
    if request.path.startswith("/api/"):
        return error_body(401, "pin_required",
                          _("Hãy nhập mã PIN hiện trên màn hình máy tính trước."))
    return redirect(url_for("lan.pin", next=request.full_path))


def install_phone_gate(app: Flask) -> None:
    """Gate every request of the field app: the laptop always, others per the switch.

    Call after install_security: the refusal comes before the Host check (a phone
    must read whom to ask, not be told to open 127.0.0.1); the PIN right after it,
    before set-up redirects.
    """
    checks = app.before_request_funcs.setdefault(None, [])
    checks.insert(checks.index(check_request) + 1 if check_request in checks else 0,
                  require_pin)
    checks.insert(0, phones_off_refusal)


def safe_next(target: str | None) -> str:
    """Return `target` if it is a path on this laptop, else the home page."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@bp.route("/pin", methods=["GET", "POST"])
def pin():
    """Ask a phone on the hotspot for the PIN shown on the laptop."""
    pin_guard = guard()
    target = safe_next(request.values.get("next"))
    if pin_guard is None or is_local(request.remote_addr):
        return redirect(target)
    address = request.remote_addr or "?"
    error, status = None, 200
    wait, wait_all = pin_guard.locked_for(address), pin_guard.locked_for_all()
    if wait:
        error, status = _("Nhập sai quá nhiều lần; hãy đợi %(s)d giây rồi thử lại.", s=wait), 429
    elif wait_all:
        error, status = _("Có quá nhiều lần nhập sai mã PIN từ các máy trong mạng, nên việc "
                          "nhập PIN tạm khoá cho mọi máy. Hãy đợi %(s)d giây rồi thử lại; "
                          "nếu không ai nhập sai, có thể có người đang dò mã PIN.",
                          s=wait_all), 429
    elif request.method == "POST":
        if pin_guard.check(address, request.form.get("pin", "")):
            session.permanent = True
            session["lan"] = pin_guard.token
            return redirect(target)
        error, status = _("Mã PIN không đúng. Xem mã trên màn hình máy tính chạy Lắng Nghe."), 403
    return render_template("pwa/pin.html", error=error, next=target), status


def laptop_itself(refusal: str | None = None) -> None:
    """Let only the laptop's own user (a loopback request) see or flip the switch, or
    do what `refusal` says a phone may not.

    The gates already keep phones off these views (not in rights.py's map);
    this check stands on its own, so that no change of theirs can let a phone
    turn phone access on.
    """
    if current_app.config["ROLE"] != "field":
        abort(404)
    if not is_local(request.remote_addr):
        raise LaptopOnly(refusal or _("Chỉ người dùng máy tính chạy Lắng Nghe mới mở, tắt "
                                      "được việc cho điện thoại vào."))


@bp.get("/phones")
def phones():
    """Show whether phones may come in; the switch, the PIN, the addresses, the QR codes."""
    laptop_itself()
    pin_guard = guard()
    if pin_guard is not None:  # a hotspot turned on since: listen on its address too
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _say_unopened(open_to_phones(app, served_port()))
    urls = address_urls(served_port()) if pin_guard is not None else []
    response = make_response(render_template("pwa/phones.html", pin_guard=pin_guard,
                                             urls=urls))
    response.headers["Cache-Control"] = "no-store"  # never a PIN from an earlier switch
    return response


@bp.post("/phones")
def switch_phones():
    """Turn phone access on (with a new PIN) or off, from the laptop only."""
    laptop_itself()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if request.form.get("on") == "1":
        enable_lan(app)
        failed = open_to_phones(app, served_port())
        flash(_("Đã mở cho điện thoại. Điện thoại bắt Wi-Fi của máy này, mở địa chỉ (hoặc "
                "quét mã QR) rồi nhập mã PIN bên dưới. Nếu Windows hỏi có cho Python dùng "
                "mạng không, bấm “Cho phép” (Allow access)."), "success")
        _say_unopened(failed)
    else:
        disable_lan(app)
        flash(_("Đã tắt: chỉ máy tính này mở được Lắng Nghe; điện thoại đã vào cũng bị "
                "chặn."), "success")
    return redirect(url_for("lan.phones"))


def _say_unopened(failed: list[str]) -> None:
    if failed:
        flash(_("Điện thoại chưa vào được qua địa chỉ: %(addresses)s. Hãy đóng chương trình "
                "khác đang dùng cổng này, hoặc chạy Lắng Nghe với cổng khác.",
                addresses=", ".join(failed)), "error")


def served_port() -> int:
    """Return the port this page was served on (the one phones must use too)."""
    return urlsplit(request.host_url).port or 80


def on_phone() -> bool:
    """Tell whether this request comes from a phone on the hotspot (not the laptop)."""
    return guard() is not None and not is_local(request.remote_addr)


def may(endpoint: str, **view_args) -> bool:
    """Tell templates whether to show a link: everything on the laptop, a phone's rights."""
    return not on_phone() or phone_may(endpoint, view_args)


def pin_banner() -> dict:
    """Give the laptop's own pages the PIN and addresses to show phones."""
    pin_guard = guard()
    if pin_guard is None or not is_local(request.remote_addr):
        return {"lan_pin": None, "may": may}
    return {"lan_pin": pin_guard.pin, "may": may,
            "lan_urls": address_urls(served_port())}


@bp.get("/lan/qr/<int:index>.svg")
def qr(index: int):
    """Draw the QR code of the laptop's `index`-th address, for a phone's camera."""
    import segno

    if guard() is None or not is_local(request.remote_addr):
        abort(404)
    urls = address_urls(served_port())
    if index >= len(urls):
        abort(404)
    out = io.BytesIO()
    segno.make(urls[index], error="m").save(out, kind="svg", scale=5, border=2,
                                             xmldecl=False, title=urls[index])
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "no-store"  # the address changes with the network
    return response
