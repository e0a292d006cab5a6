// Keeps open pages live without reloads: the timeline asks for news every few seconds and
// the notification bell every half minute, but only while the tab is visible, and once at
// once when the person comes back to the tab. (htmx trigger filters would say this inline,
// but they need eval, which our Content-Security-Policy forbids.)
//
// When the server cannot answer (a 503 while its database restarts, a 5xx, no network),
// the asking pauses: for the server's Retry-After when it gives one, else twice as long
// each time, up to five minutes; the first answer that works resets it. Many open tabs
// then wait out an outage instead of hammering a server that is coming back.
(function () {
  "use strict";
  var MAX_PAUSE_MS = 5 * 60 * 1000;

  function every(id, eventName, seconds) {
    var resumeAt = 0;
    var pause = 0;
    function fire() {
      var element = document.getElementById(id);
      if (
        element &&
        document.visibilityState === "visible" &&
        window.htmx &&
        Date.now() >= resumeAt
      ) {
        window.htmx.trigger(element, eventName);
      }
    }
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (!event.detail.elt || event.detail.elt.id !== id) {
        return;
      }
      var xhr = event.detail.xhr;
      if (xhr && xhr.status > 0 && xhr.status < 500) {
        pause = 0;
        resumeAt = 0;
        return;
      }
      var told = xhr ? parseInt(xhr.getResponseHeader("Retry-After"), 10) : NaN;
      pause = told > 0 ? told * 1000 : Math.min(Math.max(pause * 2, seconds * 2000), MAX_PAUSE_MS);
      resumeAt = Date.now() + pause;
    });
    window.setInterval(fire, seconds * 1000);
    document.addEventListener("visibilitychange", fire);
  }
  var live = document.getElementById("live");
  if (live) {
    every("live", "attune:poll", parseInt(live.dataset.pollSeconds, 10) || 10);
  }
  var bell = document.getElementById("bell");
  if (bell) {
    every("bell", "attune:bell", parseInt(bell.dataset.pollSeconds, 10) || 30);
  }
})();
