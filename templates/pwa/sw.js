/* Lắng Nghe service worker, version {{ version }}.
 *
 * Served by field_app/pwa/views.py at /sw.js (scope "/"); the cache name
 * carries the app version and a hash of the shell's files, so a new release
 * installs a new cache and `activate` deletes the old one.
 *
 * Every page the user was sent to is kept, the page after a saved form too
 * (it is fetched again without the "saved" marks, which must not be stored);
 * the pages a meeting needs (the lists, the new-forum and new-opinion forms,
 * every draft forum) are kept ahead of time when a page asks ("warm"). A page
 * may ask whether it was served from here ("was-kept"): offline.js then
 * reloads it by itself once the server answers again.
 *
 * It never touches /api/ requests, POSTs or IndexedDB: drafts and the queue
 * of unsent records live in IndexedDB (static/js/offline.js), so an update
 * of this worker can never lose what someone typed.
 */
"use strict";

var CACHE_PREFIX = {{ cache_prefix|tojson }};
var CACHE = {{ cache_name|tojson }};
var PRECACHE = {{ precache|tojson }};
var OFFLINE_URL = {{ offline_url|tojson }};
var STATIC_PREFIX = {{ static_prefix|tojson }};
var PAGES_URL = {{ pages_url|tojson }};
var KEEP_HEADER = {{ keep_header|tojson }};
var MARKS_HEADER = {{ marks_header|tojson }};
var NAVIGATION_TIMEOUT_MS = 3000;  // then a kept copy, if there is one
var NAVIGATION_GIVE_UP_MS = 20000;  // no kept copy: the offline page, not an endless wait
var MATCH = { ignoreVary: true };
var WARM_EVERY_MS = 30000;
var KEPT_CLIENTS_MAX = 50;
var keptClients = [];  // pages this worker answered from the cache (client ids)

self.addEventListener("install", function (event) {
  event.waitUntil(precache().then(function () { return self.skipWaiting(); }));
});

/* All or nothing: if one file fails, this version does not install and the
 * previous worker keeps serving. A redirect (e.g. to the --lan PIN page) is a
 * failure too, so no stranger page is ever stored under a shell URL. */
function precache() {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all(PRECACHE.map(function (url) {
      var request = new Request(url, { cache: "reload", credentials: "same-origin" });
      return fetch(request).then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("precache " + url + ": HTTP " + response.status);
        }
        return cache.put(url, response);
      });
    }));
  });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(CACHE_PREFIX) === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;  // saving is the page's job
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/api/") === 0) return;  // the page's JS handles the API
  if (request.mode === "navigate") {
    event.respondWith(page(event, url));
  } else if (url.pathname.indexOf(STATIC_PREFIX) === 0 || PRECACHE.indexOf(url.pathname) >= 0) {
    event.respondWith(shellFile(event));
  }
  // Anything else (health check, attachments, downloads) goes to the network as usual.
});

/* Static files: from the cache (the cache name is their version). */
function shellFile(event) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(event.request, MATCH).then(function (hit) {
      return hit || fetch(event.request).then(function (response) {
        if (response.ok && response.type === "basic") {
          event.waitUntil(cache.put(event.request, response.clone()));
        }
        return response;
      });
    });
  });
}

function storable(response) {
  var type = response.headers.get("Content-Type") || "";
  var control = response.headers.get("Cache-Control") || "";
  return response.status === 200 && response.type === "basic" && !response.redirected
    && type.indexOf("text/html") === 0 && control.indexOf("no-store") < 0;
}

/* Pages: the network first; each good page is kept. If the server does not
 * answer in NAVIGATION_TIMEOUT_MS, or cannot be reached, the kept copy of this
 * address; then, as a last resort, one of the same path with another query
 * string; then the offline page (after NAVIGATION_GIVE_UP_MS at most). */
function page(event, url) {
  var key = url.href.split("#")[0];
  var network = fetch(event.request);
  var stored = network.then(function (response) {
    if (storable(response)) {
      var copy = response.clone();
      return caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
    }
    // A page after a save carries that save's marks and is not stored: keep it fetched again.
    if (response.ok && !response.redirected && response.headers.get(MARKS_HEADER)) {
      return caches.open(CACHE).then(function (cache) { return keep(cache, key); });
    }
    return undefined;
  }).catch(function () { return undefined; });
  event.waitUntil(stored);

  var timers = [];
  function after(ms) {
    return new Promise(function (resolve) { timers.push(setTimeout(resolve, ms)); });
  }
  var slow = after(NAVIGATION_TIMEOUT_MS).then(function () {
    return keptPage(key, false).then(function (hit) {
      if (hit) remember(event);
      return hit || network;
    });
  });
  var hung = after(NAVIGATION_GIVE_UP_MS).then(function () {
    throw new Error("no answer from the server");
  });
  function stop() { timers.forEach(clearTimeout); }
  return Promise.race([network, slow, hung]).then(function (response) {
    stop();
    return response;
  }, function () {
    stop();
    remember(event);
    return keptPage(key, true).then(function (hit) { return hit || offlinePage(); });
  });
}

function remember(event) {
  if (!event.resultingClientId) return;
  keptClients.push(event.resultingClientId);
  keptClients = keptClients.slice(-KEPT_CLIENTS_MAX);
}

/* Fetch `url` as the worker's own request (the server leaves the saved marks
 * alone for it) and keep it if it is a good page. */
function keep(cache, url) {
  var headers = {};
  headers[KEEP_HEADER] = "1";
  return fetch(url, { credentials: "same-origin", cache: "no-store", headers: headers })
    .then(function (response) {
      if (storable(response)) return cache.put(url, response);
    }).catch(function () { return undefined; });
}

/* Keep the pages a meeting needs that are not kept yet, one at a time (an old
 * laptop serves the meeting meanwhile). A phone before its PIN gets a redirect:
 * nothing is kept. */
var warming = null;
var warmedAt = 0;
function warm() {
  if (warming) return warming;
  if (Date.now() - warmedAt < WARM_EVERY_MS) return Promise.resolve();
  warmedAt = Date.now();
  warming = fetch(PAGES_URL, { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      return response.ok && !response.redirected ? response.json() : { pages: [] };
    }).then(function (body) {
      return caches.open(CACHE).then(function (cache) {
        return (body.pages || []).reduce(function (chain, path) {
          var url = new URL(path, self.location.origin).href;
          return chain.then(function () {
            return cache.match(url, MATCH).then(function (hit) { return hit || keep(cache, url); });
          });
        }, Promise.resolve());
      });
    }).catch(function () { return undefined; })
    .then(function () { warming = null; });
  return warming;
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "warm") {
    event.waitUntil(warm());
  } else if (data.type === "was-kept" && event.ports && event.ports[0]) {
    var id = event.source && event.source.id;
    event.ports[0].postMessage({ kept: keptClients.indexOf(id) >= 0 });
  }
});

function keptPage(key, anyQuery) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(key, MATCH).then(function (hit) {
      if (hit || !anyQuery) return hit;
      return cache.match(key, { ignoreVary: true, ignoreSearch: true });
    });
  });
}

function offlinePage() {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(OFFLINE_URL, MATCH);
  }).then(function (hit) {
    return hit || new Response(
      "<!doctype html><meta charset=utf-8><title>Lắng Nghe</title>"
      + "<p>Không kết nối được máy chủ Lắng Nghe trên máy này. "
      + "Những gì đã gõ vẫn được giữ trong trình duyệt. <a href=''>Thử lại</a></p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  });
}
