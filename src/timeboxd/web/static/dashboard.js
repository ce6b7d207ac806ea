// The productivity dashboard's charts (Chart.js), from the figures the page carries.
(function () {
  "use strict";
  var ACCENT = "#3b40c4", MUTED = "#545d70", GRID = "#e8ebf1";

  document.addEventListener("DOMContentLoaded", function () {
    var Chart = window.Chart;
    var data = JSON.parse(document.getElementById("chart-data").textContent);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = MUTED;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var series = data[canvas.getAttribute("data-chart")];
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: series.labels,
          datasets: [{
            label: "Minutes",
            data: series.values,
            backgroundColor: ACCENT,
            hoverBackgroundColor: "#2f33a3",
            borderRadius: 3,
            maxBarThickness: 28
          }]
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: function (c) { return c.parsed.y + " min"; } } }
          },
          scales: {
            x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 } },
            y: { beginAtZero: true, grid: { color: GRID }, border: { display: false },
                 ticks: { precision: 0, maxTicksLimit: 5 } }
          }
        }
      });
    });
  });
})();
