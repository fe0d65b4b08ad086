// The email analytics charts (Chart.js). The same figures are in the page's tables.
(function () {
  "use strict";
  const source = document.getElementById("analytics-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const style = getComputedStyle(document.documentElement);
  const primary = style.getPropertyValue("--bs-primary").trim() || "#0d6efd";
  const success = style.getPropertyValue("--bs-success").trim() || "#198754";
  const secondary = style.getPropertyValue("--bs-secondary-bg").trim() || "#e9ecef";
  const percent = { beginAtZero: true, max: 100, ticks: { callback: (value) => value + "%" } };
  const common = { responsive: true, maintainAspectRatio: false, animation: false };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  draw("chart-periods", {
    data: {
      labels: data.periods.map((row) => row.label),
      datasets: [
        { type: "bar", label: "Sent", data: data.periods.map((row) => row.sent), backgroundColor: secondary, yAxisID: "sent", order: 2 },
        { type: "line", label: "Open rate", data: data.periods.map((row) => row.rate), borderColor: primary, backgroundColor: primary, yAxisID: "rate", order: 1, pointRadius: 4 },
      ],
    },
    options: {
      ...common,
      scales: {
        sent: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
        rate: { ...percent, position: "right", grid: { drawOnChartArea: false } },
      },
    },
  });
  draw("chart-types", {
    type: "bar",
    data: {
      labels: data.types.map((row) => row.label),
      datasets: [
        { label: "Open rate", data: data.types.map((row) => row.open), backgroundColor: primary },
        { label: "Reply rate", data: data.types.map((row) => row.reply), backgroundColor: success },
      ],
    },
    options: { ...common, indexAxis: "y", scales: { x: percent } },
  });
  for (const [id, rows] of [["chart-hours", data.hours], ["chart-weekdays", data.weekdays]]) {
    draw(id, {
      type: "bar",
      data: {
        labels: rows.map((row) => row.label),
        datasets: [{ label: "Open rate", data: rows.map((row) => row.rate), backgroundColor: primary }],
      },
      options: { ...common, plugins: { legend: { display: false } }, scales: { y: percent } },
    });
  }
})();
