// Live countdowns: every second, each <time data-deadline> says how long is left and its row takes the
// colour of its urgency (the same bounds as web/render.py `urgency`). Durations are computed from UTC
// instants; the offset between this browser's clock and the server's is measured once, at load.
(function () {
  "use strict";
  var skew = 0;

  function measureSkew() {
    var server = document.body && document.body.getAttribute("data-server-now");
    if (server) {
      var parsed = Date.parse(server);
      if (!isNaN(parsed)) skew = parsed - Date.now();
    }
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function describe(seconds) {
    var left = Math.abs(Math.trunc(seconds));
    var days = Math.floor(left / 86400), hours = Math.floor((left % 86400) / 3600);
    var minutes = Math.floor((left % 3600) / 60), secs = left % 60;
    var text;
    if (days) text = days + " d " + hours + " h";
    else if (hours) text = hours + " h " + pad(minutes) + " min";
    else text = minutes + " min " + pad(secs) + " s";
    return seconds < 0 ? "overdue by " + text : text + " left";
  }

  function urgency(seconds) {
    if (seconds <= 0) return "overdue";
    if (seconds <= 3600) return "hour";
    if (seconds <= 4 * 3600) return "soon";
    return "later";
  }

  var CLASSES = ["overdue", "hour", "soon", "later"];

  function tick() {
    var now = Date.now() + skew;
    var clocks = document.querySelectorAll("time[data-deadline]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var seconds = (Date.parse(el.getAttribute("data-deadline")) - now) / 1000;
      if (isNaN(seconds)) continue;
      var text = describe(seconds);
      if (el.textContent !== text) el.textContent = text;
      var row = el.closest("tr[data-row], li.alert");
      if (row) {
        var level = urgency(seconds);
        for (var c = 0; c < CLASSES.length; c++) row.classList.toggle(CLASSES[c], CLASSES[c] === level);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    measureSkew();
    tick();
    setInterval(tick, 1000);
  });
})();
