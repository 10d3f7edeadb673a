/* Lắng Nghe — keyboard-first quick entry of opinions, and intake outside forums.
 *
 * Without JavaScript both forms are plain POSTs. With it, Enter saves the
 * quick entry through the JSON API without a page load, the row appears in
 * the list, and focus returns to the first box. The record carries a
 * browser-made UUID, so a retried save is stored once. When the server
 * cannot be reached the save is queued in the browser (offline.js,
 * window.LangNghe), shown as "chờ gửi", and sent by itself later.
 */
(function () {
  "use strict";

  var ZERO = "00000000-0000-0000-0000-000000000000";

  // A form that came back with errors: bring the first one into view, with focus.
  window.addEventListener("load", function () {
    var bad = document.querySelector(".has-error input, .has-error select, .has-error textarea");
    if (bad) { bad.scrollIntoView({ block: "center" }); bad.focus(); }
  });

  // Values set by a script fire no input event: tell the length counters (actions.js).
  function filled(form) {
    form.dispatchEvent(new CustomEvent("langnghe:filled", { bubbles: true }));
  }

  // One UUID maker for the whole app: offline.js (always loaded with this file).
  function uuid4() { return window.LangNghe.uuid4(); }

  var TEXT_FIELDS = ["kind", "channel", "source_org", "village_id", "category_code", "level",
                     "raiser_name", "raiser_gender", "raiser_phone", "content", "spot_answer_by",
                     "spot_answer", "received_on"];

  /* The top bar's "not yet at the commune" count, after a record was saved. */
  function refreshSyncCount() {
    var count = document.querySelector(".sync-count[data-status-url]");
    if (!count || !window.fetch) { return; }
    fetch(count.dataset.statusUrl, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) {
        if (json && typeof json.pending === "number") {
          count.textContent = count.dataset.template.replace("{n}", json.pending);
        }
      }, function () { /* offline: the count stays until the server answers again */ });
  }
  // Another script saved a record (readout.js: a satisfaction button).
  document.addEventListener("langnghe:saved", refreshSyncCount);
  var CHECKS = ["anonymous", "answered_on_spot", "needs_follow_up"];

  /* One opinion form (quick entry at a forum, or intake outside forums). */
  function OpinionEntry(form, prefix) {
    var self = this;
    var statusEl = form.querySelector(".save-status");
    var busy = false;

    function field(name) { return form.elements[prefix + name]; }

    function collect() {
      var body = { id: field("client_id").value || uuid4() };
      if (form.dataset.forum) { body.forum_id = form.dataset.forum; body.channel = "forum"; }
      TEXT_FIELDS.forEach(function (name) {
        var input = field(name);
        if (!input || input.type === "hidden" && name !== "channel") { return; }
        var value = input.value.trim();
        if (value) { body[name] = value; }
      });
      CHECKS.forEach(function (name) { if (field(name)) { body[name] = field(name).checked; } });
      var households = field("on_behalf_households").value.trim();
      if (households) { body.on_behalf_households = /^\d+$/.test(households) ? Number(households) : households; }
      return body;
    }

    function load(body, id) {
      TEXT_FIELDS.forEach(function (name) {
        var input = field(name);
        if (input && input.type !== "hidden") { input.value = body[name] == null ? "" : body[name]; }
      });
      CHECKS.forEach(function (name) { if (field(name)) { field(name).checked = !!body[name]; } });
      field("on_behalf_households").value = body.on_behalf_households == null ? "" : body.on_behalf_households;
      field("client_id").value = id;
      filled(form);
      var details = form.querySelector("details");
      if (details && (body.answered_on_spot || body.raiser_phone || body.on_behalf_households || body.anonymous)) {
        details.open = true;
      }
    }

    function say(text, isError) {
      if (!statusEl) { return; }
      statusEl.textContent = text;
      statusEl.classList.toggle("error", !!isError);
    }

    function clearErrors() {
      form.querySelectorAll("p.error.js").forEach(function (p) { p.remove(); });
      form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    }

    function showErrors(details) {
      var firstBad = null;
      Object.keys(details || {}).forEach(function (name) {
        var input = field(name);
        var message = details[name];
        if (Array.isArray(message)) { message = message.join(" "); }
        if (!input || !input.closest) { return; }
        var box = input.closest(".field");
        if (!box) { return; }
        box.classList.add("has-error");
        var p = document.createElement("p");
        p.className = "error js";
        p.textContent = message;
        box.appendChild(p);
        if (box.closest("details")) { box.closest("details").open = true; }
        firstBad = firstBad || input;
      });
      if (firstBad) { firstBad.focus(); }
    }

    function post(body) {
      // Without offline.js (or IndexedDB): straight to the server, as before.
      return fetch(form.dataset.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          return { state: response.ok ? "ok" : "rejected", status: response.status, json: json };
        });
      }, function () { return { state: "down" }; });
    }

    function save() {
      if (busy) { return; }
      busy = true;
      clearErrors();
      var body = collect();
      field("client_id").value = body.id;
      say(form.dataset.saving, false);
      var request = { id: body.id, url: form.dataset.api, method: "POST", body: body };
      var sending = window.LangNghe ? window.LangNghe.save(request, form) : post(body);
      sending.then(function (result) {
        if (result.state === "ok") {
          self.onSaved(result.json, body);
        } else if (result.state === "queued") {
          self.onQueued(body);
        } else if (result.state === "rejected") {
          showErrors(result.json && result.json.details);
          say((result.json && result.json.message) || form.dataset.failed, true);
        } else {
          say(form.dataset.offline || form.dataset.failed, true);
        }
      }).catch(function () {
        say(form.dataset.offline || form.dataset.failed, true);
      }).then(function () { busy = false; });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save();
    });

    this.form = form;
    this.field = field;
    this.say = say;
    this.save = save;
    this.load = load;
    this.showErrors = showErrors;
    this.clearErrors = clearErrors;
  }

  /* Load a queued item the server refused back into `entry`, to be fixed and saved. */
  function fixInto(entry, item) {
    entry.clearErrors();
    entry.load(item.body, item.id);
    entry.showErrors(item.details);
    entry.say((item.message ? item.message + " " : "") + (entry.form.dataset.fixing || ""), true);
    entry.form.scrollIntoView({ block: "center" });
    if (!item.details) { entry.field("content").focus(); }
  }

  function whenOffline(callback) {
    document.addEventListener("DOMContentLoaded", function () {
      if (window.LangNghe) { callback(window.LangNghe); }
    });
  }

  function fixFromHash(LN, accepts, entry) {
    var match = /^#fix=([0-9a-f-]{36})$/.exec(location.hash);
    if (!match) { return; }
    LN.ready.then(function () { return LN.item(match[1]); }).then(function (item) {
      if (item && accepts(item)) { fixInto(entry, item); }
    });
  }

  // Quick entry at a forum ------------------------------------------------------------

  var quick = document.getElementById("quick-form");
  if (quick && window.fetch) { setupQuick(quick); }

  function setupQuick(form) {
    var entry = new OpinionEntry(form, "op-");
    var field = entry.field;
    var first = field("raiser_name");
    var content = field("content");
    // Back from a save (or a new forum): the next speaker starts in the first box.
    // Chromium blocks autofocus when the URL has a fragment, so focus by hand once loaded.
    window.addEventListener("load", function () {
      if (document.querySelector(".has-error") || /^#fix=/.test(location.hash)) { return; }
      if (location.hash === "#quick" || document.activeElement === document.body) { first.focus(); }
    });
    // Phones have no easy Shift+Enter: there Enter makes a new line and the button saves.
    var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;

    content.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touch) {
        event.preventDefault();
        if (form.requestSubmit) { form.requestSubmit(); } else { entry.save(); }
      }
    });

    function optionText(select, value) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === value) { return select.options[i].text; }
      }
      return value || "";
    }

    function rowFor(id) {
      return document.querySelector('#opinions tbody tr[data-id="' + id + '"]') ||
        (document.querySelector('#opinions tbody a[href$="/' + id + '"]') || { closest: function () { return null; } })
          .closest("tr");
    }

    function updateCount() {
      var tbody = document.querySelector("#opinions tbody");
      var count = document.querySelector("#opinions .count");
      if (count) { count.textContent = "(" + tbody.rows.length + ")"; }
    }

    /* Show a record in the table: stored (opinion from the API) or still in the browser. */
    function showRow(id, body, opinion, state, reason) {
      var tbody = document.querySelector("#opinions tbody");
      var row = rowFor(id);
      if (!row) {
        row = document.createElement("tr");
        for (var i = 0; i < 5; i++) { row.appendChild(document.createElement("td")); }
        tbody.appendChild(row);
      }
      var cells = row.cells;
      var data = opinion || body;
      row.dataset.id = id;
      row.classList.remove("pending", "rejected");
      cells[0].textContent = "";
      if (opinion) {
        var link = document.createElement("a");
        link.href = "/opinions/" + opinion.id;
        link.textContent = opinion.position;
        cells[0].appendChild(link);
      } else {
        row.classList.add(state);
        var mark = document.createElement("span");
        mark.className = "queue-mark " + state;
        mark.textContent = state === "rejected" ? form.dataset.rejected : form.dataset.pending;
        cells[0].appendChild(mark);
        if (reason) { mark.title = reason; }
      }
      cells[1].textContent = data.anonymous ? form.dataset.anonymous : (data.raiser_name || "—");
      if (data.on_behalf_households) {
        var households = document.createElement("small");
        households.textContent = form.dataset.households.replace("{n}", data.on_behalf_households);
        cells[1].appendChild(document.createElement("br"));
        cells[1].appendChild(households);
      }
      cells[2].textContent = optionText(field("kind"), data.kind) + " · " +
        optionText(field("category_code"), data.category_code || "other");
      cells[3].className = "content";
      cells[3].textContent = data.content || "";
      cells[4].textContent = data.answered_on_spot ? (data.spot_answer || "") : "—";
      updateCount();
    }

    /* Clear what `sent` carried. A box changed while the save was on its way (the next
       speaker's name, typed on a slow laptop) keeps what was typed, and keeps the focus. */
    function resetForNextSpeaker(sent) {
      var typed = false;
      ["raiser_name", "raiser_phone", "content", "on_behalf_households", "spot_answer_by", "spot_answer"]
        .forEach(function (name) {
          var input = field(name);
          var was = sent[name] == null ? "" : String(sent[name]);
          if (input.value.trim() === was) { input.value = ""; } else { typed = true; }
        });
      if (field("raiser_gender").value === (sent.raiser_gender || "")) { field("raiser_gender").value = ""; }
      field("anonymous").checked = false;
      field("answered_on_spot").checked = false;
      field("needs_follow_up").checked = true;
      field("client_id").value = uuid4();
      if (window.LangNghe) { window.LangNghe.keepId(form); }
      filled(form);
      if (!typed) { first.focus(); }
    }

    entry.onSaved = function (opinion, body) {
      showRow(opinion.id, body, opinion);
      refreshSyncCount();
      resetForNextSpeaker(body);
      if (window.LangNghe) { window.LangNghe.draftSaved(form); }
      entry.say(form.dataset.saved.replace("{n}", opinion.position), false);
    };
    entry.onQueued = function (body) {
      showRow(body.id, body, null, "pending");
      resetForNextSpeaker(body);
      entry.say(form.dataset.queued, true);
    };

    whenOffline(function (LN) {
      function mine(item) { return item.body && item.body.forum_id === form.dataset.forum; }
      // Items still in this browser: shown in the table, marked.
      document.addEventListener("langnghe:queue", function (event) {
        var held = event.detail.items.filter(mine);
        held.forEach(function (item) {
          showRow(item.id, item.body, null, item.status, item.message);
        });
        // Everything queued here has reached the server: the "kept in the browser"
        // warning under the button no longer holds.
        var status = form.querySelector(".save-status");
        if (!held.length && status && status.textContent === form.dataset.queued) {
          entry.say("", false);
        }
      });
      document.addEventListener("langnghe:sent", function (event) {
        var record = event.detail.record;
        if (record && record.forum_id === form.dataset.forum) { showRow(record.id, record, record); }
        refreshSyncCount();
      });
      LN.fixHandler = function (item) {
        if (!mine(item)) { return false; }
        fixInto(entry, item);
        return true;
      };
      fixFromHash(LN, mine, entry);
      LN.refresh();
    });
  }

  // Intake outside forums -------------------------------------------------------------

  var intake = document.getElementById("intake-form");
  if (intake && window.fetch) { setupIntake(intake); }

  function setupIntake(form) {
    var entry = new OpinionEntry(form, "");
    entry.onSaved = function (opinion) {
      var done = window.LangNghe ? window.LangNghe.draftSaved(form) : Promise.resolve();
      done.then(function () { location.href = form.dataset.show.replace(ZERO, opinion.id); });
    };
    entry.onQueued = function () {
      form.reset();
      entry.field("client_id").value = uuid4();
      if (window.LangNghe) { window.LangNghe.keepId(form); }
      entry.say(form.dataset.queuedOne, true);
      entry.field("content").focus();
    };
    whenOffline(function (LN) {
      function mine(item) { return item.body && !item.body.forum_id; }
      LN.fixHandler = function (item) {
        if (!mine(item)) { return false; }
        fixInto(entry, item);
        return true;
      };
      fixFromHash(LN, mine, entry);
    });
  }
})();
