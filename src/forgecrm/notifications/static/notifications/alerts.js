// Desktop alerts for reminders and due/overdue follow-ups while a CRM page is open.
// Polls the alerts feed every minute once the user enabled alerts (the permission request
// needs a click); when the feed says more are waiting, it asks again at once, so a burst of
// alerts is shown whole, oldest first. The last id seen is kept in localStorage, shared by
// every tab, and each alert carries a tag, so an item is shown once however many tabs poll.
(() => {
  "use strict";
  const bell = document.querySelector("[data-alerts-url]");
  const button = document.getElementById("desktop-alerts-enable");
  if (!bell || !button || !("Notification" in window)) return;

  const FEED = bell.dataset.alertsUrl;
  const LAST_SEEN = "forgecrm.alerts.lastSeen";
  const ENABLED = "forgecrm.alerts.enabled";
  const POLL_MS = 60 * 1000;

  const enabled = () => Notification.permission === "granted" && localStorage.getItem(ENABLED) === "1";
  const lastSeen = () => Number(localStorage.getItem(LAST_SEEN) || 0);

  function showButton() {
    button.hidden = enabled() || Notification.permission === "denied";
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function updateCount(unread) {
    const badge = document.getElementById("notification-count");
    if (!badge || typeof unread !== "number") return;
    badge.firstChild.nodeValue = String(unread);
    badge.classList.toggle("d-none", unread === 0);
  }

  // Opening an alert marks it read (a POST) and goes where it points.
  async function follow(url) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    });
    window.location.assign(response.url);
  }

  async function poll() {
    if (!enabled()) return;
    const seen = localStorage.getItem(LAST_SEEN);
    const url = seen === null ? FEED : `${FEED}?after=${encodeURIComponent(seen)}`;
    let data;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      data = await response.json();
    } catch (error) {
      return;
    }
    // Another tab may have shown some of these meanwhile: only what is newer than now seen.
    const shownBefore = lastSeen();
    localStorage.setItem(LAST_SEEN, String(Math.max(shownBefore, data.latest)));
    updateCount(data.unread);
    data.items
      .filter((item) => item.id > shownBefore)
      .forEach((item) => {
        const alert = new Notification(item.title, { body: item.body, tag: `forgecrm-${item.id}` });
        alert.onclick = () => {
          window.focus();
          alert.close();
          follow(item.url);
        };
      });
    if (data.more) await poll();
  }

  button.addEventListener("click", async () => {
    const permission = await Notification.requestPermission();
    if (permission === "granted") {
      localStorage.setItem(ENABLED, "1");
      await poll();
    }
    showButton();
  });

  showButton();
  poll();
  window.setInterval(poll, POLL_MS);
})();
