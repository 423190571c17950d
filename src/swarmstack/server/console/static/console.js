// The console's own script: live task pages (server-sent events), overview charts (uPlot),
// and small helpers. No inline script anywhere: the Content-Security-Policy allows 'self' only.
"use strict";

(function () {
  var OUTCOMES = ["succeeded", "failed", "cancelled", "timed_out", "budget_exceeded"];
  var EVENTS = ["started", "retrying", "rerouted", "step_started", "step_finished",
    "step_failed", "llm_call", "unstorable-event"].concat(OUTCOMES);

  function refresh(live, done) {
    htmx.ajax("GET", live.dataset.live, { target: "#live", swap: "innerHTML" }).then(done || null);
  }

  function watchTask() {
    var live = document.getElementById("live");
    if (!live || !window.EventSource) return;
    var facts = live.querySelector(".facts");
    if (facts && OUTCOMES.indexOf(facts.dataset.status) >= 0) return;
    var source = new EventSource(live.dataset.events);
    var pending = null;
    EVENTS.forEach(function (name) {
      source.addEventListener(name, function () {
        var last = OUTCOMES.indexOf(name) >= 0;
        if (last) source.close();
        if (pending) clearTimeout(pending);
        pending = setTimeout(function () { refresh(live); }, last ? 0 : 150);
      });
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) refresh(live);
    };
  }

  function clearButtons() {
    document.body.addEventListener("click", function (e) {
      var button = e.target.closest("[data-clear]");
      if (!button) return;
      var target = document.querySelector(button.dataset.clear);
      if (target) target.textContent = "";
    });
  }

  // --- overview charts ---------------------------------------------------------------------
  var PALETTE = ["#1f5fbf", "#b5411f", "#1d7a3a", "#7a3fb0", "#9a6a00", "#0f7c86", "#b0306a"];

  function chart(el, data) {
    var series = [{}];
    var values = [data.times];
    el.dataset.lines.split(",").forEach(function (spec, i) {
      var parts = spec.split(":");
      var picked = data[parts[0]];
      if (parts[1]) picked = (picked || {})[parts[1]];
      series.push({ label: parts[2] || parts[1] || parts[0], stroke: PALETTE[i % PALETTE.length], width: 2,
        points: { show: true, size: 5 } });
      values.push(picked || data.times.map(function () { return null; }));
    });
    return [series, values];
  }

  function perSwarm(el, data) {
    var key = el.dataset.perSwarm;
    var names = Object.keys(data[key] || {}).sort();
    el.dataset.lines = names.length ? names.map(function (n) { return key + ":" + n + ":" + n; }).join(",") : key + "::none";
  }

  function draw(el, data) {
    if (el.dataset.perSwarm) perSwarm(el, data);
    var made = chart(el, data);
    var width = Math.max(260, el.clientWidth || 300);
    if (el._plot && el._plot.series.length === made[0].length) {
      el._plot.setData(made[1]);
      el._plot.setSize({ width: width, height: 200 });
      return;
    }
    if (el._plot) el._plot.destroy();
    el._plot = new uPlot({ width: width, height: 200, series: made[0], scales: { x: { time: true } },
      axes: [{}, { size: 60 }] }, made[1], el);
  }

  function overview() {
    var root = document.getElementById("charts");
    if (!root) return;
    var charts = root.querySelectorAll("[data-lines], [data-per-swarm]");
    function load() {
      var window_ = document.getElementById("window");
      var url = root.dataset.series + "?window=" + encodeURIComponent(window_ ? window_.value : "3600");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          charts.forEach(function (el) { draw(el, data); });
          var stamp = document.getElementById("updated");
          if (stamp) stamp.textContent = new Date().toISOString().slice(11, 19) + " UTC";
          root.dataset.loaded = "yes";
        })
        .catch(function () {});
    }
    load();
    setInterval(load, 5000);
    var picker = document.getElementById("window");
    if (picker) picker.addEventListener("change", load);
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchTask();
    clearButtons();
    overview();
    document.body.addEventListener("htmx:afterSwap", function () {});
  });
})();
