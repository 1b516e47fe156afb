// Width-dependent layouts: a figure may carry, in layout.meta.narrow, what changes when its
// chart is drawn narrower than layout.meta.narrow.below pixels (a phone). The server builds
// both (rigflows/figures/style.py, `narrow_variant`); this file only picks one by the chart's
// width, at every draw and when a resize crosses the line. Loaded after plotly-rigflows.min.js
// (assets load in name order), before dcc.Graph draws anything.
(function () {
  'use strict';
  const Plotly = window.Plotly;
  if (!Plotly || Plotly.react.rigflowsWidths) { return; }

  function isObject(value) { return value !== null && typeof value === 'object' && !Array.isArray(value); }

  // `patch` laid over `base`: objects merge key by key, anything else (arrays too) replaces.
  function merge(base, patch) {
    if (!isObject(base) || !isObject(patch)) { return patch; }
    const out = Object.assign({}, base);
    for (const key of Object.keys(patch)) { out[key] = merge(base[key], patch[key]); }
    return out;
  }

  // The figure as drawn at `width`: the narrow variant's layout and per-trace changes applied.
  function atWidth(figure, width) {
    const narrow = figure.layout && figure.layout.meta && figure.layout.meta.narrow;
    if (!narrow || !(width > 0) || width >= narrow.below) { return figure; }
    const data = figure.data.map((trace, index) => (narrow.data && narrow.data[index] ? merge(trace, narrow.data[index]) : trace));
    return Object.assign({}, figure, {data: data, layout: merge(figure.layout, narrow.layout || {})});
  }

  function isNarrow(figure, width) { return atWidth(figure, width) !== figure; }

  const react = Plotly.react;
  Plotly.react = function (gd, first, ...rest) {
    const div = typeof gd === 'string' ? document.getElementById(gd) : gd;
    if (div && isObject(first) && Array.isArray(first.data)) {  // dcc.Graph's form: react(gd, {data, layout, config})
      div.rigflowsFigure = first;
      div.rigflowsNarrow = isNarrow(first, div.clientWidth);
      return react.call(Plotly, gd, atWidth(first, div.clientWidth), ...rest);
    }
    return react.call(Plotly, gd, first, ...rest);
  };
  Plotly.react.rigflowsWidths = true;

  // A resize across a figure's line redraws it in the other variant.
  let pending = null;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      for (const div of document.querySelectorAll('.js-plotly-plot')) {
        if (div.rigflowsFigure && isNarrow(div.rigflowsFigure, div.clientWidth) !== div.rigflowsNarrow) {
          Plotly.react(div, div.rigflowsFigure);
        }
      }
    }, 150);
  });

  window.rigflowsWidths = {atWidth: atWidth};
})();
