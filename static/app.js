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

  // The server's own answer for the status area (HX-Retarget to #htmx-error: the database unavailable, or
  // two people changing the same thing at once) is swapped there, in place, like our 403/409/422 answers.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 503 && xhr.getResponseHeader("HX-Retarget") === "#htmx-error") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var banner = document.getElementById("htmx-error");
    // Shown when the swap was into it; any other swap means the last request went well: hidden again.
    if (banner) {
      banner.hidden = event.detail.target !== banner;
      if (!banner.hidden) { banner.scrollIntoView({block: "nearest"}); }
    }
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
  // A limited field's counter (see _forms.html): how much it holds as one types or pastes. Without
  // JavaScript it says the limit, and the server refuses more.
  function number(n) { return n.toLocaleString(document.documentElement.lang || undefined); }
  function count(field) {
    var counter = document.getElementById(field.id + "-count");
    var limit = parseInt(field.dataset.limit, 10);
    if (!counter || !limit) { return; }
    var length = field.value.length;
    var over = length > limit;
    counter.textContent = (over ? counter.dataset.over : counter.dataset.counts)
      .replace("{count}", number(length)).replace("{limit}", number(limit)).replace("{over}", number(length - limit));
    counter.classList.toggle("char-count-over", over);
    // A short field's counter shows only near its limit: a name or a phone rarely gets there.
    if (field.tagName !== "TEXTAREA") { counter.classList.toggle("char-count-quiet", length < limit * 0.8); }
  }
  document.addEventListener("input", function (event) {
    if (event.target.dataset && event.target.dataset.limit) { count(event.target); }
  });
  function countAll(root) {
    (root || document).querySelectorAll("[data-limit]").forEach(count);
  }
  document.addEventListener("DOMContentLoaded", function () { countAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { countAll(event.detail.target); });

  document.addEventListener("htmx:responseError", function () { showError("server"); });
  document.addEventListener("htmx:sendError", function () { showError("network"); });
  document.addEventListener("htmx:timeout", function () { showError("network"); });
})();
