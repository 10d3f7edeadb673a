/* Lắng Nghe — small page actions for both roles, without inline handlers.
 *
 * The Content-Security-Policy (field_app/security.py) allows no inline
 * script, so templates mark elements with data attributes and this file
 * gives them their behaviour:
 *   <form data-confirm="question">  asks before submitting (delete, revoke…)
 *   <button data-print>             prints the page (the minutes)
 *   <select data-autosubmit>        submits its form when changed (filters)
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

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });
})();
