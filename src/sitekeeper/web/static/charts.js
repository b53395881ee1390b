/* Latency and availability charts on the device page, drawn with uPlot from
   GET /api/v1/checks/{id}/history?range=... (the session cookie authenticates). Each chart's
   caption states the figures in words, so the chart is never the only way to read them. */
(function () {
  "use strict";

  var range = "1h";
  var plots = [];
  var REFRESH_MS = 60000;

  function fmt(n, digits) {
    return n === null || n === undefined || isNaN(n) ? "—" : n.toFixed(digits);
  }

  function load(card) {
    var id = card.getAttribute("data-check-id");
    var url = "/api/v1/checks/" + encodeURIComponent(id) + "/history?range=" + range;
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("the server answered " + r.status);
        return r.json();
      })
      .then(function (body) { draw(card, body.points || []); })
      .catch(function (err) {
        card.querySelectorAll("figcaption").forEach(function (cap) {
          cap.textContent = "History not available: " + err.message + ".";
        });
      });
  }

  function summarise(points) {
    var lat = [], lo = null, hi = null, count = 0, ok = 0;
    points.forEach(function (p) {
      if (p.latency_avg_ms !== null && p.latency_avg_ms !== undefined) lat.push(p.latency_avg_ms);
      if (p.latency_min_ms !== null && (lo === null || p.latency_min_ms < lo)) lo = p.latency_min_ms;
      if (p.latency_max_ms !== null && (hi === null || p.latency_max_ms > hi)) hi = p.latency_max_ms;
      count += p.count || 0;
      ok += p.ok || 0;
    });
    var avg = lat.length ? lat.reduce(function (a, b) { return a + b; }, 0) / lat.length : null;
    return { avg: avg, lo: lo, hi: hi, count: count, availability: count ? (100 * ok) / count : null };
  }

  function draw(card, points) {
    var t = points.map(function (p) { return p.t; });
    var s = summarise(points);
    var words = " over the " + card.closest(".history").querySelector('[aria-pressed="true"]').title;
    card.querySelectorAll("figure.chart").forEach(function (fig) {
      var kind = fig.getAttribute("data-kind");
      var plot = fig.querySelector(".plot");
      var cap = fig.querySelector("figcaption");
      var old = plots.find(function (p) { return p.fig === fig; });
      if (old) { old.u.destroy(); plots.splice(plots.indexOf(old), 1); }
      plot.textContent = "";
      if (!points.length || !s.count) {
        cap.textContent = (kind === "latency" ? "Latency" : "Availability") + ": no results" + words + ".";
        return;
      }
      var opts, data;
      if (kind === "latency") {
        cap.textContent = "Latency" + words + ": average " + fmt(s.avg, 1) + " ms (min " +
          fmt(s.lo, 1) + ", max " + fmt(s.hi, 1) + ").";
        data = [t,
          points.map(function (p) { return p.latency_avg_ms; }),
          points.map(function (p) { return p.latency_max_ms; })];
        opts = base(plot, "ms", [
          { label: "average ms", stroke: "#0b57d0", width: 2 },
          { label: "max ms", stroke: "#8a5a00", width: 1, dash: [4, 4] }]);
      } else {
        cap.textContent = "Availability" + words + ": " + fmt(s.availability, 2) + " % of " +
          s.count + " results OK.";
        data = [t, points.map(function (p) {
          return p.availability === null || p.availability === undefined ? null : 100 * p.availability;
        })];
        opts = base(plot, "%", [{ label: "available %", stroke: "#0b5d1e", width: 2, fill: "rgba(11,93,30,0.08)" }]);
        opts.scales = { y: { range: [0, 100] } };
      }
      plots.push({ fig: fig, u: new window.uPlot(opts, data, plot) });
    });
  }

  // Isolated values (one result between gaps) have no line to draw: show them as dots.
  function sparse(u, si) {
    return u.data[si].filter(function (v) { return v !== null && v !== undefined; }).length < 60;
  }

  function base(plot, unit, series) {
    series.forEach(function (s) { s.points = { show: sparse, size: 5 }; });
    return {
      width: Math.max(200, plot.clientWidth),
      height: 160,
      series: [{}].concat(series),
      axes: [{}, { label: unit, size: 50 }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } }
    };
  }

  function loadAll() {
    document.querySelectorAll(".chart-card[data-check-id]").forEach(load);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var history = document.getElementById("history");
    if (!history || !window.uPlot) return;
    history.querySelectorAll("button[data-range]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        range = btn.getAttribute("data-range");
        history.querySelectorAll("button[data-range]").forEach(function (b) {
          b.setAttribute("aria-pressed", b === btn ? "true" : "false");
        });
        loadAll();
      });
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        plots.forEach(function (p) {
          var w = Math.max(200, p.fig.querySelector(".plot").clientWidth);
          if (w !== p.u.width) p.u.setSize({ width: w, height: 160 });
        });
      }).observe(history);
    }
    loadAll();
    setInterval(function () { if (!document.hidden) loadAll(); }, REFRESH_MS);
  });
})();
