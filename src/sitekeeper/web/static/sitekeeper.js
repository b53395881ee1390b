/* sitekeeper dashboard: the little the pages need beyond htmx. Loaded as a file because the
   Content-Security-Policy forbids inline scripts. */
(function () {
  "use strict";

  // Every htmx request carries the session's CSRF token (from the page's meta tag).
  var meta = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (evt) {
    if (meta) evt.detail.headers["X-CSRF-Token"] = meta.content;
  });

  // Live regions poll. Skip a poll while the tab is hidden (work for nobody), and while
  // keyboard focus is inside the region: swapping it would throw that focus away.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    if (!elt.hasAttribute("data-live")) return;
    var active = document.activeElement;
    var keyboardInside = active && active !== elt && elt.contains(active) &&
      active.matches(":focus-visible");
    if (document.hidden || keyboardInside) evt.preventDefault();
  });
  document.addEventListener("visibilitychange", function () {
    var live = document.querySelector("[data-live]");
    if (!document.hidden && live && window.htmx) window.htmx.trigger(live, "refresh");
  });

  // Say when updates stop arriving, and when they resume.
  var note = document.getElementById("live-note");
  function showNote(text) {
    if (!note) return;
    if (text) note.textContent = "Live updates paused: " + text + ". Retrying…";
    note.hidden = !text;
  }
  document.addEventListener("htmx:sendError", function () {
    showNote("the server is not answering");
  });
  document.addEventListener("htmx:responseError", function (evt) {
    showNote("the server answered " + evt.detail.xhr.status);
  });

  // "Print" buttons (the advisor's page): the print stylesheet shapes the page for paper.
  document.addEventListener("click", function (evt) {
    var target = evt.target;
    if (target && target.closest && target.closest("[data-print]")) window.print();
  });

  // Screen readers hear the summary when it changes, not every swap.
  var status = document.getElementById("live-status");
  var lastSummary = null;
  function summary() {
    var live = document.querySelector("[data-live]");
    return live ? live.getAttribute("data-summary") : null;
  }
  document.addEventListener("DOMContentLoaded", function () { lastSummary = summary(); });
  document.addEventListener("htmx:afterSettle", function () {
    showNote(null);
    var now = summary();
    if (status && now !== null && now !== lastSummary) status.textContent = now;
    lastSummary = now;
  });
})();
