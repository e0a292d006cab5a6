// Keeps an open timeline live: asks the server for news every few seconds, but only while
// the tab is visible, and once at once when the person comes back to the tab. (htmx trigger
// filters would do this inline, but they need eval, which our Content-Security-Policy forbids.)
(function () {
  "use strict";
  function poll() {
    var live = document.getElementById("live");
    if (live && document.visibilityState === "visible" && window.htmx) {
      window.htmx.trigger(live, "attune:poll");
    }
  }
  var live = document.getElementById("live");
  if (!live) {
    return;
  }
  var seconds = parseInt(live.dataset.pollSeconds, 10) || 10;
  window.setInterval(poll, seconds * 1000);
  document.addEventListener("visibilitychange", poll);
})();
