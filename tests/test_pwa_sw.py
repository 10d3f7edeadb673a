"""The installable PWA: manifest, service worker, offline page, updates.

Browser tests run the real `langnghe field` server and Debian's Chromium. The
service worker's cache name carries the app version and a hash of the shell's
files; $LANGNGHE_ASSET_VERSION, read by /sw.js, adds to it, which is how the
update test makes a "new release" without touching the repository.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import time
import urllib.request

import pytest
from PIL import Image

from field_app.pwa.views import CACHE_PREFIX, asset_version, static_files

from .browser import ARTIFACTS
from .browser import wait_for_js as wait_for

pytestmark = [pytest.mark.timeout(180)]
browser = pytest.mark.browser


def fetch(server, path: str):
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        return response.status, response.headers, response.read()


def api(server, path: str, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def village_id(server, name: str) -> str:
    (village,) = [v for v in api(server, "/api/v1/villages")["items"] if v["name"] == name]
    return village["id"]


def new_forum(server, village: str, venue: str) -> str:
    forum = api(server, "/api/v1/forums", {
        "village_id": village_id(server, village), "started_at": "2026-11-20T08:00:00",
        "kind": "listening", "venue": venue})
    return forum["id"]


def cache_name(server) -> str:
    _, _, script = fetch(server, "/sw.js")
    match = re.search(r'var CACHE = "([^"]+)";', script.decode())
    assert match, "no CACHE in /sw.js"
    return match.group(1)


def controlled(page, url: str) -> None:
    """Open `url` and wait until the service worker controls the page."""
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    wait_for(page, "navigator.serviceWorker.controller !== null", seconds=20)


def visit_and_keep(page, url: str) -> None:
    """Open `url` under the worker and wait until its copy is in the cache."""
    page.goto(url)
    wait_for(page, "async (url) => !!(await caches.match(url))", url)


def controlled_forum(server, page, *keep: str) -> str:
    """Make a forum, let the worker control the page, visit `keep` ("/", "forum")."""
    forum_url = f"{server.url}/forums/{new_forum(server, 'Bản Nà Lò', 'Nhà văn hóa bản Nà Lò')}"
    controlled(page, server.url + "/")
    for which in keep:
        visit_and_keep(page, forum_url if which == "forum" else server.url + which)
    return forum_url


def cache_names(page) -> list[str]:
    return page.evaluate(
        "async (prefix) => (await caches.keys()).filter(n => n.startsWith(prefix))",
        CACHE_PREFIX)


# Served files ------------------------------------------------------------------------


def test_manifest_is_valid_and_its_icons_load(field_server):
    status, headers, body = fetch(field_server, "/manifest.webmanifest")
    assert status == 200
    assert headers.get_content_type() == "application/manifest+json"
    manifest = json.loads(body.decode("utf-8"))
    assert manifest["name"] == "Lắng Nghe – Ghi ý kiến Nhân dân"
    assert manifest["short_name"] == "Lắng Nghe"
    assert (manifest["lang"], manifest["start_url"], manifest["scope"],
            manifest["display"]) == ("vi", "/", "/", "standalone")
    assert manifest["theme_color"] == "#b3261e"
    assert manifest["background_color"] == "#faf8f6"
    pngs = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]
            if icon["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= pngs.keys()
    for (sizes, _purpose), src in pngs.items():
        status, headers, data = fetch(field_server, src)
        assert status == 200 and headers.get_content_type() == "image/png"
        assert "x".join(map(str, Image.open(io.BytesIO(data)).size)) == sizes
    for icon in manifest["icons"]:
        assert fetch(field_server, icon["src"])[0] == 200
    _, _, page = fetch(field_server, "/")
    html = page.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert '<meta name="theme-color" content="#b3261e">' in html
    assert 'rel="apple-touch-icon"' in html
    assert "/static/js/register-sw.js" in html


def test_service_worker_is_served_from_the_root_with_the_app_shell(field_server):
    status, headers, body = fetch(field_server, "/sw.js")
    assert status == 200
    assert headers.get_content_type() == "text/javascript"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Service-Worker-Allowed"] == "/"
    script = body.decode()
    precache = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", script).group(1))
    for url in ("/static/css/app.css", "/static/js/app.js", "/static/js/register-sw.js",
                "/static/icons/icon.svg", "/static/icons/icon-192.png",
                "/static/icons/icon-512.png", "/manifest.webmanifest", "/offline"):
        assert url in precache, url
    for url in precache:
        assert fetch(field_server, url)[0] == 200, url
    assert cache_name(field_server).startswith(CACHE_PREFIX + "0.1.0-")
    status, _, offline = fetch(field_server, "/offline")
    assert status == 200
    assert "Không kết nối được máy chủ Lắng Nghe trên máy này" in offline.decode()


def test_cache_version_follows_the_static_files_and_the_environment(app, tmp_path, monkeypatch):
    monkeypatch.delenv("LANGNGHE_ASSET_VERSION", raising=False)
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    app.static_folder = str(static)
    files = static_files()
    assert "css/app.css" in files and "js/register-sw.js" in files
    first = asset_version(files)
    assert asset_version(static_files()) == first  # stable while nothing changes
    (static / "css" / "app.css").write_text("body { color: red }", encoding="utf-8")
    changed = asset_version(static_files())
    assert changed != first
    monkeypatch.setenv("LANGNGHE_ASSET_VERSION", "hotfix-2")
    assert asset_version(static_files()) == changed + "-hotfix-2"


# In the browser ------------------------------------------------------------------------


@browser
def test_service_worker_activates_and_precaches_the_shell(field_server, page):
    controlled(page, field_server.url + "/")
    # It controls the page from clients.claim() in its activate event: "activating" for
    # a moment on a busy machine, then "activated" (wait_for fails if it never is).
    wait_for(page, "navigator.serviceWorker.controller.state === 'activated'", seconds=20)
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == field_server.url + "/"
    assert cache_names(page) == [cache_name(field_server)]
    for path in ("/static/css/app.css", "/static/js/register-sw.js", "/offline",
                 "/manifest.webmanifest"):
        assert page.evaluate("async (url) => !!(await caches.match(url))",
                             field_server.url + path), path


@browser
def test_visited_pages_render_offline_and_others_show_the_offline_page(field_server, page):
    forum_url = controlled_forum(field_server, page, "/", "forum")

    page.context.set_offline(True)
    try:
        page.reload()
        assert "Bản Nà Lò" in page.locator("main").inner_text()
        assert "Nhà văn hóa bản Nà Lò" in page.locator("main").inner_text()
        assert page.locator("link[rel=stylesheet]").count() >= 1
        assert page.evaluate("getComputedStyle(document.querySelector('.topbar'))"
                             ".backgroundColor") == "rgb(179, 38, 30)"  # CSS from the cache
        page.screenshot(path=str(ARTIFACTS / "pwa-offline-forum.png"), full_page=True)
        page.goto(field_server.url + "/")
        assert "Bản Nà Lò" in page.locator("main").inner_text()
        # Another query string of a kept page: that page, as a last resort.
        page.goto(f"{forum_url}?tab=x")
        assert "Nhà văn hóa bản Nà Lò" in page.locator("main").inner_text()

        page.goto(field_server.url + "/villages")  # never opened
        assert "Không kết nối được máy chủ Lắng Nghe trên máy này" in page.content()
        assert page.url == field_server.url + "/villages"
        assert page.get_by_role("link", name="Thử lại").get_attribute("href") == ""
        page.screenshot(path=str(ARTIFACTS / "pwa-offline-page.png"), full_page=True)
    finally:
        page.context.set_offline(False)
    # Back online: the offline page turns into the village list by itself (no Thử lại).
    wait_for(page, "!document.getElementById('offline-retry')"
             " && document.querySelector('main').innerText.includes('Bản Nà Lò')", seconds=30)
    assert page.url == field_server.url + "/villages"
    assert "Không kết nối được" not in page.content()


@browser
def test_pages_render_with_the_server_killed_and_are_live_after_restart(field_server, page):
    controlled_forum(field_server, page, "/", "forum")

    field_server.stop()
    page.reload()
    assert "Nhà văn hóa bản Nà Lò" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "pwa-server-stopped-forum.png"), full_page=True)
    page.goto(field_server.url + "/villages")  # never opened, not a meeting page
    assert "Không kết nối được máy chủ Lắng Nghe trên máy này" in page.content()

    field_server.start()  # the same port as before
    new_forum(field_server, "Bản Đán", "Nhà văn hóa bản Đán")
    page.goto(field_server.url + "/")
    assert "Bản Đán" in page.locator("main").inner_text()  # live, not the kept copy
    page.goto(field_server.url + "/villages")
    assert "Không kết nối được" not in page.content()


@browser
def test_a_server_that_hangs_gives_the_kept_page_after_a_short_wait(field_server, page):
    controlled_forum(field_server, page, "forum")
    field_server.stop()
    # Something holds the port and accepts connections but never answers.
    with socket.socket() as hung:
        hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hung.bind(("127.0.0.1", field_server.port))
        hung.listen(16)
        started = time.monotonic()
        page.reload(timeout=20000)
        waited = time.monotonic() - started
        assert "Nhà văn hóa bản Nà Lò" in page.locator("main").inner_text()
        assert 2.5 < waited < 10, waited
        started = time.monotonic()
        page.goto(field_server.url + "/villages", timeout=60000)  # never kept
        assert "Không kết nối được máy chủ Lắng Nghe trên máy này" in page.content()
        assert time.monotonic() - started < 30  # the worker gives up after 20 s


@browser
def test_an_update_replaces_the_cache_and_keeps_indexeddb(field_server, page, monkeypatch):
    forum_url = controlled_forum(field_server, page)
    old_cache = cache_name(field_server)
    assert cache_names(page) == [old_cache]
    # Something the page keeps in IndexedDB, as drafts and the queue are.
    page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open("langnghe-test", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("queue", {keyPath: "id"});
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const tx = open.result.transaction("queue", "readwrite");
            tx.objectStore("queue").put({id: "a1", content: "Xin sửa đường vào bản"});
            tx.oncomplete = () => { open.result.close(); resolve(true); };
            tx.onerror = () => reject(tx.error);
        };
    })""")
    page.evaluate("""() => { window.controllerChanged = false;
        navigator.serviceWorker.addEventListener("controllerchange",
            () => { window.controllerChanged = true; }); }""")

    monkeypatch.setenv("LANGNGHE_ASSET_VERSION", "update-test")  # a "new release"
    field_server.stop()
    field_server.start()
    new_cache = cache_name(field_server)
    assert new_cache == old_cache + "-update-test"
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    wait_for(page, "window.controllerChanged === true", seconds=20)
    wait_for(page, "async (names) => { const keys = await caches.keys();"
             " return keys.includes(names[1]) && !keys.includes(names[0]); }",
             [old_cache, new_cache])
    assert cache_names(page) == [new_cache]
    kept = page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open("langnghe-test", 1);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const get = open.result.transaction("queue").objectStore("queue").get("a1");
            get.onsuccess = () => { open.result.close(); resolve(get.result); };
            get.onerror = () => reject(get.error);
        };
    })""")
    assert kept == {"id": "a1", "content": "Xin sửa đường vào bản"}

    # The new version keeps pages too.
    visit_and_keep(page, forum_url)
    page.context.set_offline(True)
    try:
        page.reload()
        assert "Nhà văn hóa bản Nà Lò" in page.locator("main").inner_text()
    finally:
        page.context.set_offline(False)


def kept(page, url: str) -> bool:
    return page.evaluate("async (url) => !!(await caches.match(url))", url)


@browser
def test_a_new_forum_and_the_meeting_pages_are_kept_and_recover_by_themselves(field_server,
                                                                              page):
    """Create a forum, kill the server, reload, keep typing; the server returns by itself."""
    other = f"{field_server.url}/forums/{new_forum(field_server, 'Bản Đán', 'Nhà văn hóa bản Đán')}"
    controlled(page, field_server.url + "/")
    page.goto(field_server.url + "/forums/new")
    page.select_option("#village_id", label="Bản Nà Lò")
    page.fill("#venue", "Nhà văn hóa bản Nà Lò")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r".*/forums/[0-9a-f-]{36}#quick$"))  # not /forums/new
    forum_url = page.url.split("#")[0]
    # The page after the POST's redirect, and ahead of time what a meeting needs.
    for url in (forum_url, other, field_server.url + "/opinions/new",
                field_server.url + "/opinions", field_server.url + "/"):
        wait_for(page, "async (url) => !!(await caches.match(url))", url, seconds=20)
    assert not kept(page, field_server.url + "/villages")

    field_server.stop()
    page.reload()
    assert page.locator("#op-content").is_visible()  # the entry box, not the offline page
    assert "Nhà văn hóa bản Nà Lò" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "pwa-new-forum-offline.png"), full_page=True)
    wait_for(page, "window.LangNghe && LangNghe.isUp() === false")
    page.fill("#op-raiser_name", "Lò Văn Thắng")
    page.fill("#op-content", "Xin làm cầu treo qua suối Nậm Pia")
    page.locator("#op-content").press("Enter")
    wait_for(page, "LangNghe.items().then(items => items.length === 1)")
    for url in (other, field_server.url + "/opinions/new"):
        page.goto(url)
        assert "offline-retry" not in page.content(), url
    page.goto(forum_url)
    wait_for(page, "window.LangNghe && LangNghe.isUp() === false")

    field_server.start()  # the same port: the kept page turns live by itself
    wait_for(page, "document.querySelector('main').innerText.includes('Nậm Pia')"
             " && LangNghe.isUp() === true", seconds=60)
    wait_for(page, "LangNghe.items().then(items => items.length === 0)")
    opinions = api(field_server, f"/api/v1/opinions?forum_id={forum_url.rsplit('/', 1)[1]}")
    assert [o["content"] for o in opinions["items"]] == ["Xin làm cầu treo qua suối Nậm Pia"]

    # The offline page too comes back as the page asked for, without "Thử lại".
    fresh = page.context.new_page()
    fresh.goto(field_server.url + "/")
    field_server.stop()
    fresh.goto(field_server.url + "/villages")
    assert "Không kết nối được máy chủ Lắng Nghe trên máy này" in fresh.content()
    field_server.start()
    wait_for(fresh, "!document.getElementById('offline-retry')"
             " && document.querySelector('main').innerText.includes('Bản Đán')", seconds=60)
    assert fresh.url == field_server.url + "/villages"


def test_the_meeting_pages_list_the_forms_the_lists_and_every_draft_forum(app, client, forum):
    from field_app.extensions import db
    from field_app.forums import logic as forums

    done = forums.create_forum({"kind": "listening", "village_id": forum.village_id,
                                "started_at": forum.started_at, "venue": "Sân bóng"})
    done.status = "finalised"
    db.session.commit()
    response = client.get("/offline-pages.json")
    assert response.headers["Cache-Control"] == "no-store"
    pages = response.get_json()["pages"]
    assert {"/", "/forums/new", "/opinions", "/opinions/new", f"/forums/{forum.id}"} <= set(pages)
    assert f"/forums/{done.id}" not in pages  # finalised: kept once opened, not ahead


def test_the_workers_own_fetch_leaves_the_saved_marks_for_the_users_page(app, client, forum):
    from field_app.pwa.saved import KEEP_HEADER, MARKS_HEADER, SESSION_KEY

    with client.session_transaction() as session:
        session[SESSION_KEY] = ["forum|/forums/new"]
    kept = client.get(f"/forums/{forum.id}", headers={KEEP_HEADER: "1"})
    assert "no-store" not in kept.headers.get("Cache-Control", "")
    assert MARKS_HEADER not in kept.headers
    assert "Set-Cookie" not in kept.headers  # the user's requests own the cookie
    shown = client.get(f"/forums/{forum.id}")
    assert shown.headers["Cache-Control"] == "no-store" and shown.headers[MARKS_HEADER] == "1"
    assert "forum|/forums/new" in shown.get_data(as_text=True)
