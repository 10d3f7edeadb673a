/* Lắng Nghe: register the service worker that keeps pages usable offline,
 * then ask it to keep the pages a meeting needs ("warm", templates/pwa/sw.js).
 * Nothing is shown on update: the new worker takes over by itself, and the
 * drafts and queue live in IndexedDB, which it never touches. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  function register() {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "warm" });
    }).catch(function (error) {
      // No worker (e.g. a private window): the app still works while online.
      if (window.console) console.warn("Lắng Nghe: service worker not registered", error);
    });
  }
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register);
})();
