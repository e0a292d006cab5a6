// "Leave quickly": replaces this page with a neutral site, so the back button does not come
// back to it. The control is a plain link to that site, which works without script too
// (then the page stays one step back in the history). Esc pressed twice does the same.
(function () {
  "use strict";
  var link = document.querySelector("a[data-quick-exit]");
  if (!link) {
    return;
  }
  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    // Nothing of the page stays on screen while the other site loads.
    document.documentElement.hidden = true;
    document.title = "";
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var now = Date.now();
    if (now - lastEscape < 1500) {
      leave(event);
    } else {
      lastEscape = now;
    }
  });
})();
