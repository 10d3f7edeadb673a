// The Đồng bộ button: start a sync without leaving the page and show its progress.
(function () {
  "use strict";
  var panel = document.getElementById("sync-panel");
  var form = document.getElementById("sync-form");
  if (!panel || !form || !window.fetch) return;  // without JS the form posts as usual
  var bar = document.getElementById("sync-progress");
  var stage = document.getElementById("sync-stage");
  var names = {start: "Bắt đầu…", push: "Đang gửi bản ghi", photos: "Đang gửi ảnh", pull: "Đang nhận trả lời"};

  function show(status) {
    if (status.running) {
      bar.hidden = false;
      bar.max = status.total || 1;
      bar.value = status.done || 0;
      stage.textContent = (names[status.stage] || status.stage) + " " +
        (status.total ? status.done + "/" + status.total : "");
      setTimeout(poll, 500);
    } else {
      bar.hidden = true;
      document.getElementById("sync-pending").textContent = status.pending;
      if (status.error) { stage.textContent = "Lỗi: " + status.error; }
      else { stage.textContent = "Xong."; setTimeout(function () { location.reload(); }, 400); }
    }
  }
  function poll() {
    fetch(panel.dataset.statusUrl, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); }).then(show)
      .catch(function () { stage.textContent = "Mất kết nối với ứng dụng trên máy."; });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    stage.textContent = names.start;
    fetch(form.action, {method: "POST", body: new FormData(form), headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); }).then(show)
      .catch(function () { form.submit(); });
  });
  if (stage.textContent.trim()) poll();
})();
