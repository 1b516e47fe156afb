// Width-dependent layouts: a figure may carry, in layout.meta.variants, what changes when its
// chart is drawn narrower than each variant's `below` pixels (a phone, a tablet), narrowest
// first. The server builds them (rigflows/figures/style.py, `themed_figure`); this file only
// picks one by the chart's width, at every draw and when a resize crosses a line. A variant
// changes traces by index ("data") and may add traces after them ("append"). Loaded after plotly-rigflows.min.js
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

  // The variant for `width`: the first (narrowest) whose line the chart is below, or none.
  function variantAt(figure, width) {
    const variants = (figure.layout && figure.layout.meta && figure.layout.meta.variants) || [];
    return width > 0 ? variants.findIndex((variant) => width < variant.below) : -1;
  }

  // The figure as drawn at `width`: its variant's layout and per-trace changes applied.
  function atWidth(figure, width) {
    const index = variantAt(figure, width);
    if (index < 0) { return figure; }
    const variant = figure.layout.meta.variants[index];
    const data = figure.data.map((trace, position) => (variant.data && variant.data[position] ? merge(trace, variant.data[position]) : trace));
    return Object.assign({}, figure, {data: data.concat(variant.append || []), layout: merge(figure.layout, variant.layout || {})});
  }

  const react = Plotly.react;
  Plotly.react = function (gd, first, ...rest) {
    const div = typeof gd === 'string' ? document.getElementById(gd) : gd;
    if (div && isObject(first) && Array.isArray(first.data)) {  // dcc.Graph's form: react(gd, {data, layout, config})
      div.rigflowsFigure = first;
      div.rigflowsVariant = variantAt(first, div.clientWidth);
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
        if (div.rigflowsFigure && variantAt(div.rigflowsFigure, div.clientWidth) !== div.rigflowsVariant) {
          Plotly.react(div, div.rigflowsFigure);
        }
      }
    }, 150);
  });

  window.rigflowsWidths = {atWidth: atWidth};
})();
