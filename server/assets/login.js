// The login page's only script (served by kakunin at /assets/login.js;
// the page's CSP allows no other). It follows the pending request: every
// second it asks the wait URL for the state, and once the card has
// decided it navigates there, where the server redirects to the site (or
// shows why not). It also counts the time left down.
"use strict";
(function () {
  var body = document.body;
  var wait = body.getAttribute("data-wait");
  var expires = Number(body.getAttribute("data-expires")) * 1000;
  var status = document.getElementById("status");
  var left = document.getElementById("time-left");

  function tick() {
    var ms = expires - Date.now();
    if (ms <= 0) {
      left.textContent = "0:00";
      status.textContent =
        "期限切れです。サイトからやり直してください。 Expired: start again from the site.";
      return false;
    }
    var s = Math.ceil(ms / 1000);
    left.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    return true;
  }

  function poll() {
    if (!tick()) {
      return;
    }
    fetch(wait, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (r) {
        return r.json();
      })
      .then(function (j) {
        if (j.state && j.state !== "pending") {
          window.location.assign(wait);
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        setTimeout(poll, 2000);
      });
  }

  setInterval(tick, 1000);
  poll();
})();
