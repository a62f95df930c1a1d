// Draws every [data-chart] element from the JSON figure in its <script type="application/json"> child.
(function () {
  "use strict";
  function draw(el) {
    var source = el.querySelector("script[type='application/json']");
    if (!source || typeof Plotly === "undefined") return;
    var figure = JSON.parse(source.textContent);
    var target = el.querySelector("[data-chart-target]");
    var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };
    Plotly.newPlot(target, figure.data, figure.layout, config);
  }
  document.querySelectorAll("[data-chart]").forEach(draw);
})();
