// Keeps open pages live without reloads: the timeline asks for news every few seconds and
// the notification bell every half minute, but only while the tab is visible, and once at
// once when the person comes back to the tab. (htmx trigger filters would say this inline,
// but they need eval, which our Content-Security-Policy forbids.)
(function () {
  "use strict";
  function every(id, eventName, seconds) {
    function fire() {
      var element = document.getElementById(id);
      if (element && document.visibilityState === "visible" && window.htmx) {
        window.htmx.trigger(element, eventName);
      }
    }
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
