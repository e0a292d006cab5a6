// Attune on a phone: registers the service worker, offers "Install Attune" where the
// browser allows it, turns this device's notices on and off on the settings page, and
// tells a person on a bad connection that their check-in is not sent yet (it stays in the
// form; sent again, it is saved once: the form carries its own id).
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () {});
    });
  }

  // --- Install -------------------------------------------------------------------------
  var installOffer = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    installOffer = event;
    var box = document.querySelector("[data-install]");
    if (box) box.hidden = false;
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-install-button]");
    if (!button || !installOffer) return;
    installOffer.prompt();
    installOffer.userChoice.finally(function () {
      installOffer = null;
      button.closest("[data-install]").hidden = true;
    });
  });

  // --- Notices on this device ----------------------------------------------------------
  function csrfToken() {
    try {
      return JSON.parse(document.body.dataset.hxHeaders || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function setUpPush(box) {
    var status = box.querySelector("[data-push-status]");
    var on = box.querySelector("[data-push-on]");
    var off = box.querySelector("[data-push-off]");
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      return;
    }
    function show(subscribed, words) {
      status.textContent = words;
      on.hidden = subscribed;
      off.hidden = !subscribed;
    }
    navigator.serviceWorker.ready
      .then(function (registration) {
        return registration.pushManager.getSubscription();
      })
      .then(function (subscription) {
        if (Notification.permission === "denied") {
          show(false, "Notices are blocked for Attune in this browser's settings.");
          on.hidden = true;
        } else {
          show(!!subscription, subscription ? "This device gets notices." : "This device gets no notices.");
        }
      });
    on.addEventListener("click", function () {
      on.disabled = true;
      Notification.requestPermission()
        .then(function (permission) {
          if (permission !== "granted") throw new Error("not allowed");
          return navigator.serviceWorker.ready;
        })
        .then(function (registration) {
          return registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: keyBytes(box.dataset.pushKey),
          });
        })
        .then(function (subscription) {
          return post(box.dataset.pushOnUrl, subscription.toJSON());
        })
        .then(function (response) {
          if (!response.ok) throw new Error("not saved");
          window.location.reload();
        })
        .catch(function () {
          show(false, "Notices were not turned on. If the browser asked, allow notifications for Attune and try again.");
        })
        .finally(function () {
          on.disabled = false;
        });
    });
    off.addEventListener("click", function () {
      off.disabled = true;
      navigator.serviceWorker.ready
        .then(function (registration) {
          return registration.pushManager.getSubscription();
        })
        .then(function (subscription) {
          if (!subscription) return null;
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () {
            return post(box.dataset.pushOffUrl, { endpoint: endpoint });
          });
        })
        .then(function () {
          window.location.reload();
        })
        .finally(function () {
          off.disabled = false;
        });
    });
  }

  // --- A check-in on a bad connection --------------------------------------------------
  function unsent(event, words) {
    var form = event.target.closest && event.target.closest("#checkin_form");
    var status = document.getElementById("checkin_status");
    if (!form || !status) return;
    var line = document.createElement("span");
    line.className = "checkin-form__unsaved";
    line.textContent = words;
    status.replaceChildren(line);
  }
  var NO_CONNECTION =
    "Not sent yet: no connection. Your check-in is still here; press Check in again when you're back online.";
  document.addEventListener("htmx:sendError", function (event) {
    unsent(event, NO_CONNECTION);
  });
  document.addEventListener("htmx:timeout", function (event) {
    unsent(event, NO_CONNECTION);
  });
  document.addEventListener("htmx:responseError", function (event) {
    unsent(event, "Not saved yet: something went wrong on our side. Press Check in again in a moment.");
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-push]");
    if (box) setUpPush(box);
  });
})();
