// Draws every [data-chart] element from the JSON figure in its <script type="application/json"> child.
// The figure's title shows as the <figcaption> above it (HTML wraps on a phone; plotly titles do not),
// so the plot keeps only the room its legend needs; narrow plots get a smaller font.
(function () {
  "use strict";
  var NARROW = 440; // px of plot width: a phone, not half a laptop screen

  function legendEntries(data) {
    return data.filter(function (trace) { return trace.name && trace.showlegend !== false; }).length;
  }

  function layoutFor(layout, data, width, hasCaption) {
    layout = Object.assign({}, layout);
    layout.margin = Object.assign({}, layout.margin);
    if (hasCaption && layout.title) {
      delete layout.title;
      layout.margin.t = 24; // the legend above the plot pushes this margin as far as it needs
    }
    if (layout.legend) layout.legend = Object.assign({}, layout.legend, { traceorder: "normal" });
    if (width < NARROW) {
      // a legend wraps onto more lines on a phone: give the plot that much more height
      var entries = legendEntries(data);
      if (entries > 2 && layout.showlegend !== false) layout.height = (layout.height || 340) + 18 * (entries - 2);
      layout.font = Object.assign({}, layout.font, { size: 11 });
      layout.margin.l = Math.min(layout.margin.l || 40, 40);
      layout.margin.r = Math.min(layout.margin.r || 10, 10);
    }
    return layout;
  }

  function draw(el) {
    var source = el.querySelector("script[type='application/json']");
    if (!source || typeof Plotly === "undefined") return;
    var figure = JSON.parse(source.textContent);
    var target = el.querySelector("[data-chart-target]");
    var hasCaption = !!el.querySelector("figcaption");
    var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] };
    var width = target.clientWidth;
    var layout = layoutFor(figure.layout, figure.data, width, hasCaption);
    target.style.height = (layout.height || 340) + "px"; // the box grows with a tall figure
    Plotly.newPlot(target, figure.data, layout, config);
    // crossing the phone width (turning a tablet, resizing a window) redraws with the other font
    window.addEventListener("resize", function () {
      var now = target.clientWidth;
      if ((now < NARROW) !== (width < NARROW)) {
        width = now;
        layout = layoutFor(figure.layout, figure.data, now, hasCaption);
        target.style.height = (layout.height || 340) + "px";
        Plotly.react(target, figure.data, layout, config);
      }
    });
  }
  document.querySelectorAll("[data-chart]").forEach(draw);
})();
