// The figures page's charts. Data comes from the JSON block #chart-data written by the server
// (the CSP forbids inline script, so nothing is executed from the page itself).
(function () {
  "use strict";
  function draw() {
    var block = document.getElementById("chart-data");
    if (!block || !window.echarts) { return; }
    var data = JSON.parse(block.textContent);
    var font = { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };
    var charts = [];
    function chart(id, option) {
      var el = document.getElementById(id);
      if (!el) { return; }
      var c = window.echarts.init(el, null, { renderer: "svg" });
      option.textStyle = font;
      option.animation = false;
      c.setOption(option);
      charts.push(c);
    }
    function flow(series, kind) {
      return {
        tooltip: { trigger: "axis" },
        legend: { data: ["受理", "办结"] },
        grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: series.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "受理", type: kind, data: series.received, barMaxWidth: 14 },
          { name: "办结", type: kind, data: series.closed, barMaxWidth: 14 }
        ]
      };
    }
    function bars(items) {
      var names = items.map(function (i) { return i.name; }).reverse();
      var values = items.map(function (i) { return i.value; }).reverse();
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 110, right: 24, top: 12, bottom: 24 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: names, axisLabel: { width: 100, overflow: "truncate" } },
        series: [{ type: "bar", data: values, barMaxWidth: 18 }]
      };
    }
    chart("chart-daily", flow(data.daily, "bar"));
    chart("chart-weekly", flow(data.weekly, "line"));
    chart("chart-categories", bars(data.categories));
    chart("chart-subdistricts", bars(data.subdistricts));
    // Redraw at the new width when the window (or a phone's orientation) changes.
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
    if (window.ResizeObserver) {
      charts.forEach(function (c) {
        new window.ResizeObserver(function () { c.resize(); }).observe(c.getDom());
      });
    }
    document.body.setAttribute("data-charts", String(charts.length));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
