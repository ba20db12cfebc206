/* Souk: small progressive enhancements. Every page works without this file.
 * - [data-countdown]: a server-rendered <time datetime="..."> gains a live "2 d 03 h 12 min left".
 * - [data-dialog]: a link that also works as a page opens a native <dialog> instead; focus moves
 *   into it and back to the link when it closes.
 * - after an htmx swap, focus moves to the result ([data-focus-after-swap]) and dialogs marked
 *   [data-open] (a form answered with errors) open again. */
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function remaining(ms) {
    if (ms <= 0) { return "time is up"; }
    var mins = Math.floor(ms / 60000), days = Math.floor(mins / 1440), hours = Math.floor((mins % 1440) / 60);
    mins = mins % 60;
    if (days > 0) { return days + " d " + pad(hours) + " h left"; }
    if (hours > 0) { return hours + " h " + pad(mins) + " min left"; }
    return Math.max(mins, 1) + " min left";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var target = Date.parse(el.getAttribute("datetime"));
      if (isNaN(target)) { return; }
      var out = el.parentNode.querySelector(".countdown-left[data-for='" + el.id + "']");
      if (!out) {
        out = document.createElement("span");
        out.className = "countdown-left";
        out.setAttribute("data-for", el.id);
        el.insertAdjacentElement("afterend", out);
      }
      var text = " (" + remaining(target - now) + ")";
      if (out.textContent !== text) { out.textContent = text; }
      out.classList.toggle("urgent", target - now < 6 * 3600 * 1000);
    });
  }

  var opener = null;

  function openDialog(dialog, from) {
    if (!dialog || typeof dialog.showModal !== "function") { return false; }
    opener = from || document.activeElement;
    if (!dialog.open) { dialog.showModal(); }
    var first = dialog.querySelector("textarea[aria-invalid='true'], input[aria-invalid='true'], " +
                                     "select[aria-invalid='true']") ||
                dialog.querySelector("fieldset[aria-invalid='true'] input") ||
                dialog.querySelector("input:checked") ||
                dialog.querySelector("input:not([type='hidden']), select, textarea, button");
    if (first) { first.focus(); }
    return true;
  }

  function wire(root) {
    root.querySelectorAll("[data-dialog]").forEach(function (link) {
      if (link.dataset.wired) { return; }
      link.dataset.wired = "1";
      link.addEventListener("click", function (event) {
        if (openDialog(document.getElementById(link.dataset.dialog), link)) { event.preventDefault(); }
      });
    });
    root.querySelectorAll("dialog").forEach(function (dialog) {
      if (dialog.dataset.wired) { return; }
      dialog.dataset.wired = "1";
      dialog.addEventListener("close", function () {
        if (opener && document.contains(opener)) { opener.focus(); }
      });
      dialog.querySelectorAll("[data-close]").forEach(function (btn) {
        btn.addEventListener("click", function (event) { event.preventDefault(); dialog.close(); });
      });
      if (dialog.hasAttribute("data-open")) {
        var link = document.querySelector("[data-dialog='" + dialog.id + "']");
        openDialog(dialog, link);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wire(document);
    tick();
    setInterval(tick, 15000);
  });
  document.addEventListener("htmx:afterSettle", function () {
    wire(document);
    tick();
    var target = document.querySelector("[data-focus-after-swap]");
    if (target && !document.querySelector("dialog[open]")) { target.focus(); }
  });
})();
