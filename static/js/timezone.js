// Proposes the device's own time zone on forms that ask for one, unless the person has
// already chosen (a re-shown form keeps what they picked).
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  document.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
    if (select.dataset.userChosen === "true" || select.value !== "UTC") {
      return;
    }
    var option = Array.prototype.find.call(select.options, function (candidate) {
      return candidate.value === zone;
    });
    if (option) {
      select.value = zone;
    }
  });
})();
