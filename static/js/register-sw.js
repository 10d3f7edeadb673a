/* Lắng Nghe: register the service worker that keeps pages usable offline.
 * Nothing is shown on update: the new worker takes over by itself, and the
 * drafts and queue live in IndexedDB, which it never touches. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  function register() {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
      // No worker (e.g. a private window): the app still works while online.
      if (window.console) console.warn("Lắng Nghe: service worker not registered", error);
    });
  }
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register);
})();
