/* Lắng Nghe — nothing typed is lost: drafts, a queue of unsent saves, a status badge.
 *
 * Drafts: every <form data-draft="key"> keeps its values in IndexedDB
 * (db "langnghe", store "drafts", key "<form key>|<page path>") as the user
 * types. After a crash, a reload or a closed tab the draft comes back with a
 * notice. It is deleted only once the server confirms the save: the JSON API
 * answered 2xx, or the page after a plain POST lists it in data-saved (see
 * field_app/pwa/saved.py). A form the server sent back with errors is never
 * overwritten.
 *
 * Queue: a save that cannot reach the server (network error, 502/503/504)
 * goes to the store "queue" — {id, url, method, body, queuedAt, appVersion}
 * — in the same transaction that drops the draft, so it is always in one of
 * the two. Items are sent oldest first, one at a time, as soon as /healthz
 * answers. Creates are idempotent on the record's UUID, so a replay that
 * was already stored answers 200 and nothing is doubled. An item the server
 * refuses (4xx) stays, marked rejected with the server's reason, until it is
 * fixed and saved. The body is plain API JSON: items queued by an older
 * version are sent as they are.
 *
 * Recovery: a page shown while the server could not be reached (the offline
 * page, or a copy the service worker kept) reloads by itself once the server
 * answers again and the queue is sent, unless the user is typing in it; what
 * was typed is in the drafts anyway.
 *
 * Texts come from data- attributes of the script tag and the badge, in the
 * user's language. app.js uses window.LangNghe.
 */
(function () {
  "use strict";

  var script = document.getElementById("offline-script");
  var badge = document.getElementById("net-status");
  var panel = document.getElementById("queue-panel");
  var T = script ? script.dataset : {};
  var VERSION = T.version || "";
  var HEALTHZ = T.healthz || "/healthz";
  var DEBOUNCE_MS = 300;
  var SEND_TIMEOUT_MS = 20000;
  var CHECK_TIMEOUT_MS = 4000;
  var POLL_UP_MS = 10000;
  var POLL_DOWN_MIN_MS = 5000;
  var POLL_DOWN_MAX_MS = 20000;
  var RECOVER_AGAIN_MS = 15000;  // never reload in a loop if the server stays slow
  var SKIP_TYPES = ["file", "password", "submit", "button", "reset", "image"];

  function text(name, values) {
    var s = T[name] || "";
    Object.keys(values || {}).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    return s;
  }

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent("langnghe:" + name, { detail: detail }));
  }

  // IndexedDB ----------------------------------------------------------------------

  var dbPromise = null;

  function openDb() {
    if (!window.indexedDB) { return Promise.reject(new Error("no IndexedDB")); }
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("langnghe", 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains("drafts")) { db.createObjectStore("drafts", { keyPath: "key" }); }
          if (!db.objectStoreNames.contains("queue")) { db.createObjectStore("queue", { keyPath: "id" }); }
        };
        request.onsuccess = function () {
          var db = request.result;
          db.onversionchange = function () { db.close(); dbPromise = null; };
          resolve(db);
        };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  /* Run `work(stores)` in one transaction; resolve with what it returns (an
   * IDBRequest's result, read once the transaction has committed). */
  function run(names, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(names, mode);
        var stores = {};
        names.forEach(function (name) { stores[name] = t.objectStore(name); });
        var request = work(stores);
        t.oncomplete = function () { resolve(request && "result" in request ? request.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  // Drafts -------------------------------------------------------------------------

  function draftKey(form) { return form.dataset.draft + "|" + location.pathname; }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && SKIP_TYPES.indexOf(el.type) < 0;
    });
  }

  function readValues(form, withHidden) {
    var values = {};
    fieldsOf(form).forEach(function (el) {
      if (el.type === "hidden" && !withHidden) { return; }
      if (el.type === "checkbox") { values[el.name] = el.checked; }
      else if (el.type === "radio") { if (el.checked) { values[el.name] = el.value; } }
      else { values[el.name] = el.value; }
    });
    return values;
  }

  function writeValues(form, values) {
    fieldsOf(form).forEach(function (el) {
      if (!(el.name in values)) { return; }
      if (el.type === "checkbox") { el.checked = !!values[el.name]; }
      else if (el.type === "radio") { el.checked = values[el.name] === el.value; }
      else { el.value = values[el.name]; }
    });
    // No input event for a script's values: the length counters (actions.js) look again.
    form.dispatchEvent(new CustomEvent("langnghe:filled", { bubbles: true }));
  }

  function same(a, b) {
    var keys = Object.keys(a).concat(Object.keys(b));
    return keys.every(function (k) { return a[k] === b[k]; });
  }

  function hasServerErrors(form) {
    return !!form.querySelector(".has-error, p.error, [aria-invalid=true], .flash.error");
  }

  var timers = {};

  function writeDraft(form) {
    var key = draftKey(form);
    clearTimeout(timers[key]);
    delete timers[key];
    var values = readValues(form, true);
    var clientId = null;
    Object.keys(values).forEach(function (name) { if (/client_id$/.test(name)) { clientId = values[name]; } });
    return run(["drafts"], "readwrite", function (s) {
      return s.drafts.put({ key: key, form: form.dataset.draft, path: location.pathname,
                            values: values, clientId: clientId, savedAt: Date.now() });
    }).catch(function () { /* No IndexedDB (private window): nothing to keep. */ });
  }

  function scheduleDraft(form) {
    var key = draftKey(form);
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { writeDraft(form); }, DEBOUNCE_MS);
  }

  /* The server confirmed the save of this form: forget its draft. */
  function dropDraft(form) {
    var key = draftKey(form);
    clearTimeout(timers[key]);
    delete timers[key];
    removeNotice(form);
    return run(["drafts"], "readwrite", function (s) { return s.drafts.delete(key); })
      .catch(function () {});
  }

  function removeNotice(form) {
    var notice = form.previousElementSibling;
    if (notice && notice.classList.contains("draft-notice")) { notice.remove(); }
  }

  function hhmm(ms) {
    var d = new Date(ms);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function showNotice(form, draft, rendered) {
    removeNotice(form);
    var notice = document.createElement("div");
    notice.className = "flash info draft-notice";
    notice.setAttribute("role", "status");
    var span = document.createElement("span");
    span.textContent = text("restored", { time: hhmm(draft.savedAt) });
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = T.discard;
    button.addEventListener("click", function () {
      dropDraft(form);
      form.reset();
      writeValues(form, rendered);  // reset() leaves hidden inputs (client_id) as restored
    });
    notice.appendChild(span);
    notice.appendChild(document.createTextNode(" "));
    notice.appendChild(button);
    form.parentNode.insertBefore(notice, form);
  }

  /* Delete the drafts the server says it saved (data-saved on the script tag). */
  function dropSavedDrafts() {
    var marks = [];
    try { marks = JSON.parse(T.saved || "[]"); } catch (e) { marks = []; }
    if (!marks.length) { return Promise.resolve(); }
    return run(["drafts"], "readwrite", function (s) {
      var all = s.drafts.getAll();
      all.onsuccess = function () {
        all.result.forEach(function (draft) {
          var byKey = marks.indexOf(draft.key) >= 0;
          var byId = draft.clientId && marks.indexOf("id:" + draft.clientId) >= 0;
          if (byKey || byId) { s.drafts.delete(draft.key); }
        });
      };
    }).catch(function () {});
  }

  function restoreDraft(form) {
    var rendered = readValues(form, true);
    return run(["drafts"], "readonly", function (s) { return s.drafts.get(draftKey(form)); })
      .then(function (draft) {
        if (!draft || form.dataset.dirty || hasServerErrors(form)) { return; }
        var visible = {};
        var now = readValues(form, false);
        Object.keys(now).forEach(function (k) { if (k in draft.values) { visible[k] = draft.values[k]; } });
        if (same(visible, now)) { return; }
        writeValues(form, draft.values);
        showNotice(form, draft, rendered);
        emit("restored", { form: form, draft: draft });
      }).catch(function () {});
  }

  // Record ids ---------------------------------------------------------------------
  // A form's record id lives in its history entry. The browser's Back builds the page
  // again (a new id in it) and puts back what was typed: sent again with a new id, a
  // form already saved would make a second record; with the entry's id the server
  // finds the one it made.

  var IDS_STATE = "langngheIds";

  function clientIdField(form) {
    return fieldsOf(form).filter(function (el) {
      return el.type === "hidden" && /client_id$/.test(el.name);
    })[0] || null;
  }

  function entryIds() {
    var state = history.state;
    return state && typeof state === "object" && state[IDS_STATE] ? state[IDS_STATE] : {};
  }

  /* Keep the form's current record id in this page's history entry. */
  function keepId(form) {
    var input = clientIdField(form);
    if (!input || !input.value) { return; }
    var state = history.state && typeof history.state === "object" ? history.state : {};
    var ids = Object.assign({}, entryIds());
    ids[draftKey(form)] = input.value;
    var next = Object.assign({}, state);
    next[IDS_STATE] = ids;
    try { history.replaceState(next, ""); } catch (e) { /* too large or refused: a new id */ }
  }

  function watchForm(form) {
    var input = clientIdField(form);
    // A page can come from the service worker's cache: never reuse the id in it. The
    // history entry's own id (Back to a form already sent) or the one the server sent
    // back with errors is the same form's, and stays.
    if (input && input.value && !hasServerErrors(form)) {
      input.value = entryIds()[draftKey(form)] || uuid4();
    }
    keepId(form);
    function changed() { form.dataset.dirty = "1"; scheduleDraft(form); }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    // A plain POST: keep the last keystrokes too, in case the server never answers.
    form.addEventListener("submit", function () { keepId(form); writeDraft(form); });
  }

  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-draft]"));
  forms.forEach(watchForm);
  var draftsReady = dropSavedDrafts().then(function () {
    return Promise.all(forms.map(restoreDraft));
  });

  // Queue --------------------------------------------------------------------------

  function allItems() {
    return run(["queue"], "readonly", function (s) { return s.queue.getAll(); })
      .then(function (items) {
        return (items || []).sort(function (a, b) { return (a.queuedAt - b.queuedAt) || (a.seq - b.seq); });
      }, function () { return []; });
  }

  function getItem(id) {
    return run(["queue"], "readonly", function (s) { return s.queue.get(id); });
  }

  var seq = 0;

  /* Keep a save for later, in the same transaction that drops the form's draft. */
  function enqueue(request, form) {
    var names = form ? ["queue", "drafts"] : ["queue"];
    var key = form && draftKey(form);
    if (form) { clearTimeout(timers[key]); delete timers[key]; removeNotice(form); }
    return run(names, "readwrite", function (s) {
      var old = s.queue.get(request.id);
      old.onsuccess = function () {
        var before = old.result;
        s.queue.put({
          id: request.id, url: request.url, method: request.method || "POST", body: request.body,
          queuedAt: before ? before.queuedAt : Date.now(), seq: before ? before.seq : ++seq,
          appVersion: before ? before.appVersion : VERSION, status: "pending",
          message: null, details: null
        });
      };
      if (form) { s.drafts.delete(key); }
    }).then(changedQueue);
  }

  function removeItem(id, form) {
    var names = form ? ["queue", "drafts"] : ["queue"];
    var key = form && draftKey(form);
    if (form) { clearTimeout(timers[key]); delete timers[key]; removeNotice(form); }
    return run(names, "readwrite", function (s) {
      s.queue.delete(id);
      if (form) { s.drafts.delete(key); }
    }).then(changedQueue, function () {});
  }

  function markRejected(id, result, body) {
    return run(["queue"], "readwrite", function (s) {
      var old = s.queue.get(id);
      old.onsuccess = function () {
        var item = old.result;
        if (!item) { return; }
        item.status = "rejected";
        item.httpStatus = result.status;
        item.message = (result.json && result.json.message) || ("HTTP " + result.status);
        item.details = (result.json && result.json.details) || null;
        if (body) { item.body = body; }
        s.queue.put(item);
      };
    }).then(changedQueue, function () {});
  }

  function timed(url, options, ms) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, ms);
    if (controller) { options.signal = controller.signal; }
    return fetch(url, options).then(function (response) {
      clearTimeout(timer);
      return response;
    }, function (error) { clearTimeout(timer); throw error; });
  }

  /* Send one request; answer {state: "ok" | "rejected" | "down", status, json}. */
  function send(request) {
    return timed(request.url, {
      method: request.method || "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(request.body)
    }, SEND_TIMEOUT_MS).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        var status = response.status;
        if (response.ok && json && json.id) { setServer(true); return { state: "ok", status: status, json: json }; }
        // Not the server's answer (a proxy, the service worker's offline page), locked
        // by the PIN, or overloaded: the request may be sent again as it is.
        if (response.ok || [401, 408, 429, 502, 503, 504].indexOf(status) >= 0 || !json) {
          if (status !== 401) { setServer(false); }
          return { state: "down", status: status, json: json };
        }
        setServer(true);
        return { state: "rejected", status: status, json: json };
      });
    }, function () {
      setServer(false);
      return { state: "down", status: 0, json: null };
    });
  }

  /* Save now if the server answers, else queue. Never overtakes older queued items. */
  function save(request, form) {
    return allItems().then(function (items) {
      var older = items.filter(function (i) { return i.id !== request.id && i.status === "pending"; });
      if (older.length) {
        return enqueue(request, form).then(function () { replay(); return { state: "queued" }; });
      }
      return send(request).then(function (result) {
        if (result.state === "ok") {
          return removeItem(request.id, form).then(function () {
            emit("sent", { id: request.id, record: result.json });
            return result;
          });
        }
        if (result.state === "rejected") {
          return markRejected(request.id, result, request.body).then(function () { return result; });
        }
        return enqueue(request, form).then(function () { schedule(); return { state: "queued" }; },
                                           function () { return result; });
      });
    });
  }

  var replaying = null;

  function replayLoop() {
    return allItems().then(function (items) {
      var item = items.filter(function (i) { return i.status === "pending"; })[0];
      if (!item) { return; }
      return send(item).then(function (result) {
        if (result.state === "ok") {
          return removeItem(item.id).then(function () {
            emit("sent", { id: item.id, record: result.json });
            return replayLoop();
          });
        }
        if (result.state === "rejected") {
          return markRejected(item.id, result).then(function () {
            emit("rejected", { id: item.id });
            return replayLoop();
          });
        }
        schedule();  // down again: wait for /healthz
      });
    });
  }

  /* Send the queue, oldest first, one at a time; one tab at a time where the browser can. */
  function replay() {
    if (replaying) { return replaying; }
    var work = navigator.locks && navigator.locks.request
      ? navigator.locks.request("langnghe-replay", replayLoop)
      : replayLoop();
    replaying = Promise.resolve(work).catch(function () {}).then(function () { replaying = null; });
    return replaying;
  }

  // Server status and polling ------------------------------------------------------

  var serverUp = null;
  var downDelay = POLL_DOWN_MIN_MS;
  var pollTimer = null;

  function setServer(up) {
    if (up === serverUp) { return; }
    serverUp = up;
    if (up) { downDelay = POLL_DOWN_MIN_MS; }
    renderServer();
    emit("server", { up: up });
  }

  function schedule() {
    clearTimeout(pollTimer);
    var wait = serverUp ? POLL_UP_MS : downDelay;
    if (!serverUp) { downDelay = Math.min(Math.round(downDelay * 1.5), POLL_DOWN_MAX_MS); }
    if (document.hidden) { wait = Math.max(wait, 30000); }
    pollTimer = setTimeout(check, wait);
  }

  function check() {
    clearTimeout(pollTimer);
    return timed(HEALTHZ + "?t=" + Date.now(), { cache: "no-store", credentials: "same-origin" },
                 CHECK_TIMEOUT_MS)
      .then(function (r) { return r.ok ? r.json().then(function (j) { return j && j.status === "ok"; }) : false; })
      .catch(function () { return false; })
      .then(function (up) {
        if (!up) { stale = true; }  // what is shown may be a kept copy: renew it later
        setServer(up);
        return up ? replay().then(recover) : null;
      })
      .then(schedule, schedule);
  }

  // Recovery -----------------------------------------------------------------------

  var stale = !!document.getElementById("offline-retry");
  var reloading = false;

  function askWorker() {
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!worker || !window.MessageChannel) { return; }
    var reply = new MessageChannel();
    reply.port1.onmessage = function (event) {
      if (event.data && event.data.kept) {
        stale = true;
        if (serverUp) { recover(); }
      }
    };
    worker.postMessage({ type: "was-kept" }, [reply.port2]);
  }

  function typing() {
    var el = document.activeElement;
    return !!(el && /^(INPUT|TEXTAREA)$/.test(el.tagName) && el.value &&
              SKIP_TYPES.indexOf(el.type) < 0);
  }

  /* Show the live page again: the server is back and the queue is sent. */
  function recover() {
    if (!stale || serverUp !== true || reloading || counts.pending > 0) { return; }
    var last = 0;
    try { last = Number(sessionStorage.getItem("langnghe-recovered-at")) || 0; } catch (e) { last = 0; }
    if (Date.now() - last < RECOVER_AGAIN_MS) { return; }
    if (typing()) {
      document.addEventListener("focusout", function later() {
        document.removeEventListener("focusout", later);
        setTimeout(recover, 1000);
      });
      return;
    }
    reloading = true;
    try { sessionStorage.setItem("langnghe-recovered-at", String(Date.now())); } catch (e) { /* reload anyway */ }
    Promise.all(forms.map(function (form) {
      return form.dataset.dirty ? writeDraft(form) : null;
    })).then(function () {
      // A GET of this address, never reload(): a page shown after a POST would post again.
      // Without the fragment, or the browser only scrolls instead of loading.
      location.replace(location.href.split("#")[0]);
    });
  }

  // Badge and panel ----------------------------------------------------------------

  var counts = { pending: 0, rejected: 0 };
  var panelOpen = false;
  var channel = window.BroadcastChannel ? new BroadcastChannel("langnghe") : null;
  if (channel) { channel.onmessage = function () { refresh(); }; }

  function changedQueue() {
    if (channel) { channel.postMessage("queue"); }
    return refresh();
  }

  function renderServer() {
    if (!badge) { return; }
    var el = badge.querySelector(".net-server");
    var state = serverUp === null ? "checking" : (serverUp ? "up" : "down");
    // The program answers, but the office revoked this laptop (its last sync said so).
    if (state === "up" && badge.dataset.revoked) { state = "revoked"; }
    el.dataset.state = state;
    el.textContent = badge.dataset[state];
    badge.classList.toggle("down", serverUp === false);
  }

  function label(item) {
    var b = item.body || {};
    var who = b.raiser_name ? b.raiser_name + ": " : "";
    var what = (b.content || T.noText || "").replace(/\s+/g, " ");
    return who + (what.length > 90 ? what.slice(0, 90) + "…" : what);
  }

  function reason(item) {
    var parts = [item.message || ""];
    Object.keys(item.details || {}).forEach(function (k) {
      var m = item.details[k];
      parts.push(Array.isArray(m) ? m.join(" ") : String(m));
    });
    return parts.filter(Boolean).join(" — ");
  }

  function fix(item) {
    if (LangNghe.fixHandler && LangNghe.fixHandler(item)) { return; }
    var forum = item.body && item.body.forum_id;
    var url = forum ? (T.forumUrl || "").replace("00000000-0000-0000-0000-000000000000", forum)
                    : T.intakeUrl;
    location.href = url + "#fix=" + item.id;
  }

  function renderPanel(items) {
    if (!panel) { return; }
    var list = panel.querySelector(".queue-list");
    var template = document.getElementById("queue-item");
    list.textContent = "";
    items.forEach(function (item) {
      var li = template.content.firstElementChild.cloneNode(true);
      li.dataset.id = item.id;
      li.classList.add(item.status);
      li.querySelector(".queue-state").textContent = item.status === "rejected" ? T.rejected : T.pending;
      li.querySelector(".queue-what").textContent = label(item);
      li.querySelector(".queue-reason").textContent = item.status === "rejected" ? reason(item) : "";
      var button = li.querySelector(".queue-fix");
      if (item.status === "rejected") {
        button.addEventListener("click", function () { fix(item); });
      } else {
        button.remove();
      }
      list.appendChild(li);
    });
    panel.hidden = !(items.length && (panelOpen || counts.rejected));
    if (badge) { badge.querySelector(".net-queue").setAttribute("aria-expanded", String(!panel.hidden)); }
  }

  function refresh() {
    return allItems().then(function (items) {
      counts.pending = items.filter(function (i) { return i.status === "pending"; }).length;
      counts.rejected = items.length - counts.pending;
      if (badge) {
        badge.querySelector(".net-queued").textContent = badge.dataset.queued.replace("{n}", counts.pending);
        var rejected = badge.querySelector(".net-rejected");
        rejected.hidden = !counts.rejected;
        rejected.textContent = badge.dataset.rejected.replace("{n}", counts.rejected);
        badge.classList.toggle("has-queue", counts.pending > 0);
        badge.classList.toggle("has-rejected", counts.rejected > 0);
      }
      renderPanel(items);
      emit("queue", { items: items, pending: counts.pending, rejected: counts.rejected });
      return items;
    });
  }

  if (badge) {
    badge.hidden = false;
    renderServer();
    badge.querySelector(".net-queue").addEventListener("click", function () {
      panelOpen = panel ? panel.hidden : false;
      refresh();
    });
  }

  // Persistent storage -------------------------------------------------------------

  function askPersistence() {
    var note = document.getElementById("net-persist");
    function refused() { if (note) { note.hidden = false; } }
    var storage = navigator.storage;
    if (!storage || !storage.persist || !storage.persisted) { refused(); return; }
    storage.persisted().then(function (already) {
      if (already) { return; }
      var asked = false;
      try { asked = localStorage.getItem("langnghe-persist-asked") === "1"; } catch (e) { asked = false; }
      if (asked) { refused(); return; }
      try { localStorage.setItem("langnghe-persist-asked", "1"); } catch (e) { /* still ask */ }
      return storage.persist().then(function (granted) { if (!granted) { refused(); } });
    }).catch(refused);
  }

  // Wiring -------------------------------------------------------------------------

  window.addEventListener("beforeunload", function (event) {
    if (!reloading && counts.pending + counts.rejected > 0) {
      event.preventDefault();
      event.returnValue = T.leave || "";
      return T.leave;
    }
  });
  window.addEventListener("online", check);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { check(); } });

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    // crypto.randomUUID needs a secure context; a phone on the hotspot is not one.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var LangNghe = window.LangNghe = {
    ready: draftsReady,          // drafts restored (or none)
    save: save,                  // ({id, url, method, body}, form?) -> {state, status, json}
    items: allItems,
    drafts: function () {
      return run(["drafts"], "readonly", function (s) { return s.drafts.getAll(); });
    },
    item: getItem,
    replay: replay,
    check: check,
    refresh: refresh,
    draftSaved: dropDraft,       // the server confirmed this form's save
    keepId: keepId,              // the form holds a new record's id (the next speaker's)
    flushDraft: writeDraft,
    uuid4: uuid4,
    isUp: function () { return serverUp; },
    fixHandler: null             // app.js: (item) -> true if it loaded the item here
  };

  askPersistence();
  askWorker();
  refresh();
  check();
})();
