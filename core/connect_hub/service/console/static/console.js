// Live updates: every few seconds, fetch this page again and swap in the regions marked
// data-live whose content changed. The pages are whole without this script.
(function () {
  "use strict";
  var INTERVAL = 2500;
  var note = document.getElementById("live-note");
  if (!document.querySelector("[data-live][id]") || !window.fetch || !window.DOMParser) { return; }
  function say(text) { if (note) { note.textContent = text; } }
  function schedule() { window.setTimeout(refresh, INTERVAL); }
  function refresh() {
    if (document.hidden) { return schedule(); }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (region) {
          var next = fresh.getElementById(region.id);
          if (!next || next.innerHTML === region.innerHTML) { return; }
          if (region.contains(document.activeElement)) { return; }
          region.innerHTML = next.innerHTML;
        });
        say("Live: updated at " + new Date().toLocaleTimeString() + ".");
        schedule();
      })
      .catch(function () { say("Live updates stopped (signed out, or the hub is unreachable): reload the page."); });
  }
  say("Live: this page updates by itself.");
  schedule();
})();
