/* Lắng Nghe — small page actions for both roles, without inline handlers.
 *
 * The Content-Security-Policy (field_app/security.py) allows no inline
 * script, so templates mark elements with data attributes and this file
 * gives them their behaviour:
 *   <form data-confirm="question">  asks before submitting (delete, revoke…)
 *   <button data-print>             prints the page (the minutes)
 *   <select data-autosubmit>        submits its form when changed (filters)
 *   <textarea maxlength>            counts, and says when the text is too long (below)
 *   <input maxlength>               says when the text is too long (below)
 * and it keeps what an office form sent, in this tab only, so that a form refused
 * because the session had ended is filled back in after logging in again (the server
 * sends the browser back to the form's page at #nhap-lai: accounts/permissions.py).
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { window.print(); }
  });

  /* A box's limit (maxlength, from the wire's schema): the browser would cut a
     longer paste silently. Here the whole paste is kept, and the form is not sent
     while the text is too long, saying why; the server refuses a longer text too
     (field_app/rules.py). A textarea also shows a counter; a one-line box (a name, a
     phone) only the message, as a short box needs no running count. The messages
     come translated on <body data-text-count data-text-too-long data-input-too-long>. */
  var TEXT = document.body.dataset;

  function length(text) {
    // As the server counts: characters (not UTF-16 units) after NFC.
    return Array.from(text.normalize ? text.normalize("NFC") : text).length;
  }

  function number(n) { return n.toLocaleString(document.documentElement.lang || "vi"); }

  function say(template, n, most) {
    return (template || "{n}/{max}").replace("{n}", number(n)).replace("{max}", number(most));
  }

  function tooLong(area) {
    var most = Number(area.dataset.maxlength);
    return most > 0 && length(area.value) > most;
  }

  function refresh(area) {
    var counter = document.getElementById(area.dataset.counter);
    var most = Number(area.dataset.maxlength);
    if (!counter || !(most > 0)) { return; }
    var n = length(area.value);
    var over = n > most;
    var line = area.tagName === "INPUT";
    counter.textContent = over ? say(line ? TEXT.inputTooLong : TEXT.textTooLong, n, most) :
      n && !line ? say(TEXT.textCount, n, most) : "";
    counter.classList.toggle("error", over);
    area.classList.toggle("too-long", over);
    if (over) {
      area.setAttribute("aria-invalid", "true");
      area.dataset.counted = "invalid";
    } else if (area.dataset.counted === "invalid") {  // only what this said; not the server's
      area.removeAttribute("aria-invalid");
      delete area.dataset.counted;
    }
  }

  function watch(area, index) {
    var most = area.maxLength;
    if (!(most > 0)) { return; }
    area.dataset.maxlength = most;
    area.removeAttribute("maxlength");
    var counter = document.createElement("small");
    counter.className = "char-count";
    counter.id = (area.id || area.name || "text") + "-count-" + index;
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    area.dataset.counter = counter.id;
    var described = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    refresh(area);
  }

  // One-line boxes that hold text; a number or a date has no maxlength to cut at.
  var LIMITED = "textarea[maxlength], input[maxlength]:not([type]), input[maxlength][type=text], " +
    "input[maxlength][type=tel], input[maxlength][type=email], input[maxlength][type=search]";
  var LIMITED_NOW = "textarea[data-maxlength], input[data-maxlength]";

  function watched(root) { return (root || document).querySelectorAll(LIMITED_NOW); }

  Array.prototype.forEach.call(document.querySelectorAll(LIMITED), watch);
  document.addEventListener("input", function (event) {
    if (event.target.dataset && event.target.dataset.maxlength) { refresh(event.target); }
  });
  // A script filled or emptied the form (a queued item to fix, a draft, the next speaker).
  document.addEventListener("langnghe:filled", function (event) {
    Array.prototype.forEach.call(watched(event.target), refresh);
  });
  document.addEventListener("reset", function (event) {
    setTimeout(function () { Array.prototype.forEach.call(watched(event.target), refresh); }, 0);
  });
  document.addEventListener("submit", function (event) {
    var over = Array.prototype.filter.call(watched(event.target), tooLong);
    if (over.length) {
      event.preventDefault();
      event.stopImmediatePropagation();
      over.forEach(refresh);
      over[0].focus();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });

  var DRAFT_KEY = "langnghe-draft";
  var DRAFT_ANCHOR = "#nhap-lai";
  var LOGIN = "/central/login";

  function typed(element) {
    var type = (element.type || "").toLowerCase();
    return element.name && element.name !== "csrf_token" && !element.disabled &&
      ["password", "file", "hidden", "submit", "button"].indexOf(type) < 0;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post" ||
        location.pathname.indexOf("/central/") !== 0 || location.pathname === LOGIN) {
      return;  // the login form must not take the place of what waits behind it
    }
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!typed(element)) { return; }
      var ticked = element.type === "checkbox" || element.type === "radio";
      fields.push({name: element.name, value: element.value,
                   checked: ticked ? element.checked : null});
    });
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify({
        page: location.pathname + location.search,
        action: form.getAttribute("action") || "", fields: fields}));
    } catch (full) { /* storage refused: nothing to fill back, as before */ }
  });

  function restore() {
    var kept;
    try { kept = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null"); } catch (bad) { kept = null; }
    sessionStorage.removeItem(DRAFT_KEY);
    if (!kept || kept.page !== location.pathname + location.search) { return; }
    var form = Array.prototype.find.call(document.forms, function (candidate) {
      return (candidate.getAttribute("action") || "") === kept.action &&
        (candidate.method || "").toLowerCase() === "post";
    });
    if (!form) { return; }
    var first = null;
    kept.fields.forEach(function (field) {
      Array.prototype.forEach.call(form.elements, function (element) {
        if (element.name !== field.name || !typed(element)) { return; }
        if (field.checked !== null) {
          if (element.value === field.value) { element.checked = field.checked; }
        } else {
          element.value = field.value;
          if (!first && element.tagName === "TEXTAREA") { first = element; }
        }
      });
    });
    form.classList.add("restored");
    // Said on the page too: the form was filled back, not saved (the text comes
    // translated on <body data-draft-restored>).
    if (TEXT.draftRestored) {
      var notice = document.createElement("p");
      notice.className = "flash info";
      notice.id = "draft-restored";
      notice.setAttribute("role", "status");
      notice.textContent = TEXT.draftRestored;
      form.insertBefore(notice, form.firstChild);
    }
    (first || form).scrollIntoView({block: "center"});
    if (first) { first.focus(); }
  }

  if (location.hash === DRAFT_ANCHOR) {
    history.replaceState(null, "", location.pathname + location.search);
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", restore);
    } else { restore(); }
  } else if (location.pathname !== LOGIN) {
    // Sent and answered (or never refused): what was typed is not kept longer than needed.
    try { sessionStorage.removeItem(DRAFT_KEY); } catch (denied) { /* nothing kept */ }
  }
})();
