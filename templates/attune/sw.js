{% load static %}{% autoescape off %}// Attune's service worker, version {{ version }}.
// Keeps the styles and scripts for a page to look right offline, shows the offline page
// when a navigation finds no network, and shows pushes. Pages themselves are never kept:
// on a shared phone the last person's timeline must not be there for the next to open.
"use strict";
const CACHE = "attune-{{ version }}";
const OFFLINE_URL = "{% url 'offline' %}";
const STATIC_PREFIX = "{% get_static_prefix as prefix %}{{ prefix|escapejs }}";
const SHELL = JSON.parse("{{ shell_json|escapejs }}");
const ICON = "{% static 'img/icon-192.png' %}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // The offline page without cookies: the same for everyone, nobody's in particular.
      .then((cache) => cache.addAll([new Request(OFFLINE_URL, { credentials: "omit" }), ...SHELL]))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("attune-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(
      caches.match(request).then(
        (kept) =>
          kept ||
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          })
      )
    );
  }
});

// A push says only that there is something; the page it opens says what, after sign-in.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const path = typeof data.url === "string" && data.url.startsWith("/") && !data.url.startsWith("//") ? data.url : "/";
  event.waitUntil(
    self.registration.showNotification(data.title || "Attune", {
      body: data.body || "Attune has something new for you.",
      tag: data.tag || "reminder",
      icon: ICON,
      data: { url: path },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data.url || "/", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin && "focus" in client) {
          return client.navigate(target).then((opened) => (opened || client).focus());
        }
      }
      return self.clients.openWindow(target);
    })
  );
});
{% endautoescape %}
