// Draw the dashboard's charts from the JSON the page carries; the tables stay for readers
// without JavaScript (and for screen readers).
(function () {
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var colours = { A: "#2e7d32", B: "#1565c0", C: "#ef6c00", D: "#b71c1c" };

  function stacked(id, block, horizontal) {
    var element = document.getElementById(id);
    if (!element || !block.labels.length) { return; }
    var chart = echarts.init(element);
    var categories = { type: "category", data: block.labels };
    var values = { type: "value" };
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
      xAxis: horizontal ? values : categories,
      yAxis: horizontal ? categories : values,
      series: data.grades.map(function (g) {
        return { name: data.gradeNames[g], type: "bar", stack: "grades",
                 itemStyle: { color: colours[g] }, data: block.series[g] };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  stacked("chart-districts", data.districts, false);
  stacked("chart-industries", data.industries, true);

  var moves = document.getElementById("chart-movements");
  if (moves) {
    var m = data.movements;
    var chart = echarts.init(moves);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: m.labels },
      yAxis: { type: "value" },
      series: [
        { name: m.names.up, type: "line", data: m.up, itemStyle: { color: colours.A } },
        { name: m.names.down, type: "line", data: m.down, itemStyle: { color: colours.C } },
        { name: m.names.intoD, type: "bar", data: m.intoD, itemStyle: { color: colours.D } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
}());
