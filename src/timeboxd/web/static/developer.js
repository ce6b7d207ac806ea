// The developer and admin pages' own script: the copy button of a secret shown once, and
// htmx's answers to refused forms. Every form on these pages works without it.
(function () {
  "use strict";

  function copyButtons(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field || button.dataset.ready) return;
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var done = function () { button.textContent = "Copied"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            field.select();
            button.textContent = "Select and copy";
          });
        } else {
          field.select();
          button.textContent = document.execCommand("copy") ? "Copied" : "Select and copy";
        }
      });
    });
  }

  // A refused form (400, 404, 409, 429) answers the page with the message next to the
  // form: swap it in like a success. Any other failure (a 403 for an expired form, a
  // server error) posts the form again without htmx, and the browser shows that page.
  var SHOWN = [400, 404, 409, 429];
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (SHOWN.indexOf(status) >= 0) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    } else if (status >= 400) {
      e.detail.shouldSwap = false;
      var form = e.detail.elt.closest ? e.detail.elt.closest("form") : null;
      if (form) form.submit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { copyButtons(document); });
  document.addEventListener("htmx:afterSettle", function () { copyButtons(document); });
})();
