// Hover values for the dashboard's chart. The chart is complete without this file
// (inline SVG, with a <title> on every point); this only shows the value under the
// pointer in the chart's corner. Served as a same-origin file: the CSP allows no inline
// script.
(function () {
  "use strict";
  var readout = document.getElementById("chart-readout");
  if (!readout) { return; }
  var points = document.querySelectorAll("#chart circle.pt");
  function show(ev) {
    var p = ev.currentTarget;
    readout.textContent = p.getAttribute("data-name") + ": " + p.getAttribute("data-score") +
      " (scan #" + p.getAttribute("data-scan") + ")";
    p.setAttribute("r", "6.5");
  }
  function hide(ev) {
    readout.textContent = "";
    ev.currentTarget.setAttribute("r", "4.5");
  }
  for (var i = 0; i < points.length; i++) {
    points[i].addEventListener("mouseenter", show);
    points[i].addEventListener("mouseleave", hide);
    points[i].addEventListener("focus", show);
  }
  document.documentElement.setAttribute("data-chart-ready", String(points.length));
})();
