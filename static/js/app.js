/* Lắng Nghe — keyboard-first quick entry of opinions.
 *
 * Without JavaScript the quick-entry form is a plain POST that comes back
 * empty for the next speaker. With it, Enter saves through the JSON API
 * without a page load, the row appears in the list, and focus returns to
 * the first box. The record carries a browser-made UUID, so a retried save
 * is stored once.
 */
(function () {
  "use strict";

  // A form that came back with errors: bring the first one into view, with focus.
  window.addEventListener("load", function () {
    var bad = document.querySelector(".has-error input, .has-error select, .has-error textarea");
    if (bad) { bad.scrollIntoView({ block: "center" }); bad.focus(); }
  });

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    // crypto.randomUUID needs a secure context; a phone on the hotspot is not one.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var form = document.getElementById("quick-form");
  if (!form || !window.fetch) { return; }
  var PREFIX = "op-";
  var statusEl = form.querySelector(".save-status");
  var content = form.elements[PREFIX + "content"];
  var first = form.elements[PREFIX + "raiser_name"];
  var busy = false;
  // Back from a save (or a new forum): the next speaker starts in the first box.
  // Chromium blocks autofocus when the URL has a fragment, so focus by hand once loaded.
  window.addEventListener("load", function () {
    if (document.querySelector(".has-error")) { return; }
    if (location.hash === "#quick" || document.activeElement === document.body) { first.focus(); }
  });
  // Phones have no easy Shift+Enter: there Enter makes a new line and the button saves.
  var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;

  content.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touch) {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { save(); }
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    save();
  });

  function field(name) { return form.elements[PREFIX + name]; }

  function collect() {
    var body = { id: field("client_id").value || uuid4(), forum_id: form.dataset.forum, channel: "forum" };
    ["kind", "category_code", "level", "raiser_name", "raiser_gender", "raiser_phone",
     "content", "spot_answer_by", "spot_answer"].forEach(function (name) {
      var value = field(name).value.trim();
      if (value) { body[name] = value; }
    });
    ["anonymous", "answered_on_spot", "needs_follow_up"].forEach(function (name) {
      body[name] = field(name).checked;
    });
    var households = field("on_behalf_households").value.trim();
    if (households) { body.on_behalf_households = /^\d+$/.test(households) ? Number(households) : households; }
    return body;
  }

  function say(text, isError) {
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

  function optionText(select) {
    var option = select.options[select.selectedIndex];
    return option ? option.text : "";
  }

  function addRow(opinion, body) {
    var tbody = document.querySelector("#opinions tbody");
    var row = document.createElement("tr");
    var cells = [];
    for (var i = 0; i < 5; i++) { cells.push(document.createElement("td")); row.appendChild(cells[i]); }
    var link = document.createElement("a");
    link.href = "/opinions/" + opinion.id;
    link.textContent = opinion.position;
    cells[0].appendChild(link);
    cells[1].textContent = opinion.anonymous ? form.dataset.anonymous : (opinion.raiser_name || "—");
    cells[2].textContent = optionText(field("kind")) + " · " + optionText(field("category_code"));
    cells[3].className = "content";
    cells[3].textContent = opinion.content;
    cells[4].textContent = opinion.answered_on_spot ? (opinion.spot_answer || "") : "—";
    tbody.appendChild(row);
    var count = document.querySelector("#opinions .count");
    if (count) { count.textContent = "(" + tbody.rows.length + ")"; }
  }

  function resetForNextSpeaker() {
    ["raiser_name", "raiser_phone", "content", "on_behalf_households", "spot_answer_by", "spot_answer"]
      .forEach(function (name) { field(name).value = ""; });
    field("raiser_gender").value = "";
    field("anonymous").checked = false;
    field("answered_on_spot").checked = false;
    field("needs_follow_up").checked = true;
    field("client_id").value = uuid4();
    first.focus();
  }

  function save() {
    if (busy) { return; }
    busy = true;
    clearErrors();
    var body = collect();
    field("client_id").value = body.id;
    say(form.dataset.saving, false);
    fetch(form.dataset.api, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (response.ok) {
          addRow(json, body);
          resetForNextSpeaker();
          say(form.dataset.saved.replace("{n}", json.position), false);
        } else {
          showErrors(json.details);
          say(json.message || form.dataset.failed, true);
        }
      });
    }).catch(function () {
      say(form.dataset.offline, true);
    }).then(function () { busy = false; });
  }
})();
