// Width-dependent layouts: a figure may carry, in layout.meta.variants, what changes when its
// chart is drawn narrower than each variant's `below` pixels (a phone, a tablet), narrowest
// first. The server builds them (rigflows/figures/style.py, `themed_figure`); this file only
// picks one by the chart's width, at every draw and when a resize crosses a line. A variant
// changes traces by index ("data") and may add traces after them ("append"). Every figure
// passes here on its way to plotly.js, so this file also draws a figure that differs from the
// drawn one only in opacities without a redraw (`opacityEdits`). Loaded after
// plotly-rigflows.min.js (assets load in name order), before dcc.Graph draws anything.
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

  // Deep equality of plain JSON values, quick for the parts two figures share.
  function same(a, b) {
    if (a === b) { return true; }
    if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) { return false; }
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => same(a[key], b[key]));
  }

  // The opacities to set when `after` differs from `before` (figures as drawn) only in the
  // opacity of shapes and annotations and in layout.meta (text plotly.js does not draw):
  // [[part, index, opacity], ...]; null when anything else differs.
  function opacityEdits(before, after) {
    if (before.data.length !== after.data.length || !after.data.every((trace, index) => same(trace, before.data[index]))) { return null; }
    const edits = [];
    for (const key of new Set([...Object.keys(before.layout), ...Object.keys(after.layout)])) {
      const was = before.layout[key];
      const now = after.layout[key];
      if (key === 'meta') { continue; }
      if (key !== 'shapes' && key !== 'annotations') {
        if (!same(was, now)) { return null; }
        continue;
      }
      if (!Array.isArray(was) || !Array.isArray(now) || was.length !== now.length) { return null; }
      for (let index = 0; index < now.length; index++) {
        const opacity = [was[index].opacity, now[index].opacity].map((value) => (value === undefined ? 1 : value));
        if (!same(Object.assign({}, was[index], {opacity: 0}), Object.assign({}, now[index], {opacity: 0}))) { return null; }
        if (opacity[0] !== opacity[1]) { edits.push([key, index, opacity[1]]); }
      }
    }
    return edits;
  }

  // plotly.js draws a shape's or an annotation's opacity as the style of its element, marked
  // with the item's position (data-index). The edits are made there and in the figure plotly.js
  // keeps (gd.layout, gd._fullLayout: its later draws and downloads); Plotly.update would do
  // the same after running its defaults over the whole figure again, about 20 ms here.
  // False, with nothing changed, when an item has no element to style.
  function setOpacities(gd, edits) {
    const elements = edits.map(([part, index]) => gd.querySelector((part === 'shapes' ? '.shapelayer path' : '.annotation') + '[data-index="' + index + '"]'));
    if (elements.some((element) => !element)) { return false; }
    edits.forEach(([part, index, opacity], position) => {
      gd.layout[part][index].opacity = opacity;
      gd._fullLayout[part][index].opacity = opacity;
      elements[position].style.opacity = opacity;
    });
    return true;
  }

  // A figure that only shows another month mark (the energy chart: every month's is drawn,
  // one shown; rigflows/figures/energy.py) is drawn by setting those opacities (under 1 ms),
  // where Plotly.react replots the whole chart (about 45 ms). plotly_afterplot still tells the
  // page the chart is drawn (its text alternative, assets/presskit.js).
  const react = Plotly.react;
  Plotly.react = function (gd, first, ...rest) {
    const div = typeof gd === 'string' ? document.getElementById(gd) : gd;
    if (div && isObject(first) && Array.isArray(first.data)) {  // dcc.Graph's form: react(gd, {data, layout, config})
      const figure = atWidth(first, div.clientWidth);
      const before = div.rigflowsDrawn;
      const edits = before && div._fullLayout && same(before.config, first.config) ? opacityEdits(before, figure) : null;
      div.rigflowsFigure = first;
      div.rigflowsVariant = variantAt(first, div.clientWidth);
      // As given: plotly.js writes into the layout it draws (an axis's type, autosize on a
      // resize), which the next figure must not be compared with.
      div.rigflowsDrawn = Object.assign({}, figure, {layout: structuredClone(figure.layout)});
      if (edits && setOpacities(div, edits)) {
        div.layout.meta = figure.layout.meta;
        div._fullLayout.meta = figure.layout.meta;
        div.emit('plotly_afterplot');
        return Promise.resolve(div);
      }
      return painted(div, react.call(Plotly, gd, figure, ...rest));
    }
    return react.call(Plotly, gd, first, ...rest);
  };

  // A chart's first figure, once drawn, marks the chart (rigflowsPainted) and tells the page
  // ('rigflows-painted'), which asks for the frames then (assets/views.js).
  function painted(div, drawing) {
    if (!div.rigflowsPainted) {
      Promise.resolve(drawing).then(() => {
        if (div.rigflowsPainted) { return; }
        div.rigflowsPainted = true;
        document.dispatchEvent(new CustomEvent('rigflows-painted'));
      });
    }
    return drawing;
  }
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
