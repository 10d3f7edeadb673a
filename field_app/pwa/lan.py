"""Phones on the laptop's hotspot: `langnghe field --lan` and its PIN.

Without --lan the app listens on 127.0.0.1 and only the laptop reaches it.
With --lan it listens on every interface; a browser on another device must
first type the short PIN shown on the laptop's screen. The PIN changes at
every start, so a phone from last month's meeting is locked out again.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..errors import error_body
from ..security import check_request

LOOPBACK_HOST = "127.0.0.1"
LAN_HOST = "0.0.0.0"  # noqa: S104  (--lan: phones on the hotspot must reach the laptop)
MAX_TRIES = 5
# Across all addresses: a phone can change its address on the hotspot at will, so the
# per-address count alone does not bound guessing. 20 wrong PINs a minute from anywhere
# lock PIN entry for everyone for a minute (a million PINs then take ~35 days).
MAX_TRIES_ALL = 20
LOCK_SECONDS = 60
# Reachable without the PIN: the PIN page itself, its assets, the health check.
OPEN_ENDPOINTS = {"lan.pin", "pwa.health", "static"}

bp = Blueprint("lan", __name__)


def listen_address(lan: bool) -> str:
    """Return the address to serve on: the laptop only, unless --lan."""
    return LAN_HOST if lan else LOOPBACK_HOST


def new_pin() -> str:
    """Return a fresh 6-digit PIN."""
    return f"{secrets.randbelow(1_000_000):06d}"


def is_local(address: str | None) -> bool:
    """Tell whether a request comes from the laptop itself."""
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def lan_addresses() -> list[str]:
    """Return this laptop's IPv4 addresses others on the hotspot can open.

    Read from the host name only (no packet is sent): good enough to print
    a hint; the user can always read the address from the Wi-Fi settings.
    """
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    found = {info[4][0] for info in infos}
    return sorted(a for a in found if not ipaddress.ip_address(a).is_loopback)


@dataclass
class PinGuard:
    """The PIN of this run and the failed attempts, per address and in all."""

    pin: str
    failures: dict[str, list[float]] = field(default_factory=dict)
    all_failures: list[float] = field(default_factory=list)
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


def enable_lan(app: Flask, pin: str) -> PinGuard:
    """Require `pin` from every device but the laptop itself."""
    pin_guard = PinGuard(pin)
    app.extensions["langnghe_pin"] = pin_guard
    app.config["LAN_PIN"] = pin
    app.config["LAN"] = True  # phones type the laptop's IP address: field_app/security.py

    def require_pin():
        if is_local(request.remote_addr) or request.endpoint in OPEN_ENDPOINTS:
            return None
        if session.get("lan") == pin_guard.token:
            return None
        if request.path.startswith("/api/"):
            return error_body(401, "pin_required",
                              _("Hãy nhập mã PIN hiện trên màn hình máy tính trước."))
        return redirect(url_for("lan.pin", next=request.full_path))

    # Right after the Host/Origin check, before set-up redirects: a phone must prove the PIN.
    checks = app.before_request_funcs.setdefault(None, [])
    checks.insert(checks.index(check_request) + 1 if check_request in checks else 0,
                  require_pin)
    return pin_guard


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


def pin_banner() -> dict:
    """Give the laptop's own pages the PIN and addresses to show phones."""
    pin_guard = guard()
    if pin_guard is None or not is_local(request.remote_addr):
        return {"lan_pin": None}
    return {"lan_pin": pin_guard.pin, "lan_urls": [
        f"http://{address}:{request.host.rpartition(':')[2] or '80'}/"
        for address in lan_addresses()]}
