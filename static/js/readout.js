/* Lắng Nghe — the satisfaction buttons of the read-out list (templates/answers/read_out.html).
 *
 * With offline.js a button press goes through its queue (window.LangNghe.save):
 * saved at once when the laptop's server answers, else kept in IndexedDB and
 * sent by itself when it is back, so a forum held while the program is closed
 * by mistake loses nothing. Without offline.js the form posts as a plain form.
 */
(function () {
  "use strict";

  var script = document.getElementById("readout-script");
  var T = script ? script.dataset : {};

  function say(form, text, isError) {
    var note = form.parentNode.querySelector(".satisfaction-now");
    if (!note) { return; }
    note.textContent = text;
    note.classList.toggle("error", !!isError);
  }

  function press(form, value) {
    form.querySelectorAll("button[name=satisfaction]").forEach(function (button) {
      var on = button.value === value;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("secondary", !on);
    });
  }

  function setup(form) {
    form.addEventListener("submit", function (event) {
      var LN = window.LangNghe;
      var button = event.submitter;
      if (!LN || !button || button.name !== "satisfaction") { return; }  // a plain POST
      event.preventDefault();
      var forum = form.querySelector("input[name=forum_id]");
      var label = button.textContent.trim();
      var request = {
        id: LN.uuid4(), url: form.dataset.api, method: "POST",
        // `content` only names the item in the queue panel; the server ignores it.
        body: { satisfaction: button.value, forum_id: forum ? forum.value : null,
                content: label + " — " + (form.dataset.label || "") }
      };
      press(form, button.value);
      LN.save(request).then(function (result) {
        if (result.state === "ok") {
          var at = new Date().toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Ho_Chi_Minh" });
          say(form, (T.saved || "").replace("{v}", label).replace("{t}", at), false);
          // A new change waits for the commune: app.js refreshes the top bar's count.
          document.dispatchEvent(new CustomEvent("langnghe:saved"));
        } else if (result.state === "queued") {
          say(form, (T.queued || "").replace("{v}", label), false);
        } else {
          var message = (result.json && result.json.message) || "";
          say(form, (T.failed || "") + " " + message, true);
        }
      });
    });
  }

  document.querySelectorAll("form.satisfaction-form[data-api]").forEach(setup);
})();
