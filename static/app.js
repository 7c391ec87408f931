// Redress: the little behaviour htmx does not give us. No inline scripts anywhere (strict CSP).
(function () {
  "use strict";

  // What needs the person's eyes after a page load or a swap: an error summary, or the message an action
  // left (which may be far above the form they used). Focus scrolls it into view and screen readers read it.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });

  document.addEventListener("htmx:afterSwap", function (event) {
    var banner = document.getElementById("htmx-error");
    if (banner) { banner.hidden = true; }
    focusErrorSummary(event.detail.target && event.detail.target.isConnected ? event.detail.target : document);
  });

  // 403/409/422 are swapped (see the htmx-config meta tag); anything else that fails must still say so.
  function showError(kind) {
    var banner = document.getElementById("htmx-error");
    if (!banner) { return; }
    banner.textContent = banner.dataset[kind];
    banner.hidden = false;
    banner.scrollIntoView({block: "nearest"});
  }
  document.addEventListener("htmx:responseError", function () { showError("server"); });
  document.addEventListener("htmx:sendError", function () { showError("network"); });
  document.addEventListener("htmx:timeout", function () { showError("network"); });
})();
