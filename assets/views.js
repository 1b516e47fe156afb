// Month, metric, Play and the share link, in the browser: they never reach the server.
//
// The server fills, per filter, Stores with every month and metric of the map (one Store per
// metric) and of the energy chart (rigflows/render.py, Frames: a base figure per group plus
// what each month changes), and one with the energy chart's text at every month.
// `view` draws from them (a new filter draws when its frames arrive), and writes
// the address (`writeAddress`) and the QUERY Store the tables read: the filter part comes from
// the server (the FILTER Store), metric and month from here.
// Component ids ('filter', 'play', 'navigate', 'month-slider', 'metric') are those of components/ids.py.
(function () {
  const clientside = (window.dash_clientside = window.dash_clientside || {});
  const noUpdate = () => clientside.no_update;
  const drawn = {};  // chart id -> what it shows now, so an unrelated input redraws nothing

  function figureFromFrames(frames, group, month) {
    const entry = frames.groups[group];
    if (!entry) { return null; }
    const diff = entry.diffs[month] || {};
    const data = diff.data ? diff.data.map((trace, index) => (trace === null ? entry.base.data[index] : trace)) : entry.base.data;
    const layout = Object.assign({}, entry.base.layout, diff.layout || {});
    (diff.drop || []).forEach((name) => { delete layout[name]; });
    if (diff.meta) { layout.meta = Object.assign({}, layout.meta, diff.meta); }
    return {data: data, layout: layout};
  }

  // The energy chart draws a mark at every month, hidden but one (rigflows/figures/energy.py,
  // `show_mark`, the same rule): `month`'s is shown. A mark's line and labels are named by the
  // figure's layout.meta.mark_prefix and their month; a figure without it has no marks.
  function showMark(figure, month) {
    const prefix = figure.layout.meta && figure.layout.meta.mark_prefix;
    if (!prefix) { return figure; }
    const name = prefix + month;
    const isMark = (item) => typeof item.name === 'string' && item.name.startsWith(prefix);
    const shown = (layout) => {
      const out = Object.assign({}, layout);
      for (const part of ['shapes', 'annotations']) {
        if (Array.isArray(layout[part])) {
          out[part] = layout[part].map((item) => (isMark(item) ? Object.assign({}, item, {opacity: item.name === name ? 1 : 0}) : item));
        }
      }
      return out;
    };
    const layout = shown(figure.layout);
    if (layout.meta && layout.meta.variants) {
      layout.meta = Object.assign({}, layout.meta, {variants: layout.meta.variants.map((variant) => Object.assign({}, variant, {layout: shown(variant.layout)}))});
    }
    return {data: figure.data, layout: layout};
  }

  // `chart`'s figure at `group` and `month` from its frames when they belong to the current
  // filter and it shows something else, else nothing (keep what is drawn: the frames of a new
  // filter are on their way). `atMonth` dresses it for the month (the energy chart's mark).
  function choose(chart, frames, filterKey, group, month, atMonth = (figure) => figure) {
    if (!frames || frames.key !== filterKey) { return noUpdate(); }
    // The frames' data ('bundled' or an upload's label) too: the same filter from other data redraws.
    const token = frames.dataset + ' ' + filterKey + ' ' + group + ' ' + month;
    const figure = drawn[chart] === token ? null : figureFromFrames(frames, group, month);
    if (!figure) { return noUpdate(); }
    drawn[chart] = token;
    return atMonth(figure);
  }

  // A new figure (or no_update) for `chart`, drawn here at once once the chart has drawn its
  // first figure: dcc.Graph would draw it after dash-renderer has passed the prop on, 15-30 ms
  // later, and that pass costs time too. Returns what the chart's figure prop gets: no_update
  // when drawn here (dcc.Graph never redraws an unchanged prop), else the figure.
  function drawNow(chart, figure) {
    const gd = readyChart(chart);
    if (!gd || figure === noUpdate()) { return figure; }
    window.Plotly.react(gd, {data: figure.data, layout: figure.layout, config: gd.rigflowsDrawn.config});
    return noUpdate();
  }

  // A chart's plotly element once it has drawn a figure (assets/widths.js notes it), else null.
  function readyChart(chart) {
    const gd = document.querySelector('#' + chart + ' .js-plotly-plot');
    return gd && gd.rigflowsDrawn ? gd : null;
  }

  // Play's next month drawn with its tick, a dash-renderer pass before `view` would draw it
  // (which then finds it drawn): from the frames of the current filter (`choose` draws nothing
  // from another filter's), once both charts can be drawn here (else `view` draws it, as for
  // any month: a figure chosen here but not drawn would be lost).
  function drawAhead(metric, month, filter, frames) {
    if (!readyChart('map') || !readyChart('energy')) { return; }
    drawCharts(metric, month, filter, frames);
  }

  // The energy chart's frames once its texts of the same filter and data are in too (two
  // requests, rigflows/render.py energy_texts), else null: the chart is never drawn without its text.
  function withTexts(frames, texts) {
    return frames && texts && texts.key === frames.key && texts.dataset === frames.dataset ? frames : null;
  }

  // `figure` carrying `alt` as its text alternative (layout.meta.alt, assets/presskit.js).
  function described(figure, alt) {
    return {data: figure.data, layout: Object.assign({}, figure.layout, {meta: Object.assign({}, figure.layout.meta, {alt: alt})})};
  }

  // Of the map's Stores (one per metric, components/controls.py), the one holding `metric`.
  function framesOf(stores, metric) {
    return stores.find((frames) => frames && frames.groups && frames.groups[metric]) || null;
  }

  // The Stores the server fills, as `drawCharts` reads them: the map's (one per metric), and
  // the energy chart's frames and texts.
  function framesFrom(mapStores, energyFrames, energyTexts) {
    return {map: mapStores, energy: energyFrames, energyTexts: energyTexts};
  }

  // The map and the energy chart at `metric` and `month` for `filter` (see `choose`), each
  // drawn here if it can be: what their figure props get (`drawNow`). `frames`: `framesFrom`.
  function drawCharts(metric, month, filter, frames) {
    const energy = withTexts(frames.energy, frames.energyTexts);
    return [
      drawNow('map', choose('map', framesOf(frames.map, metric), filter.map, metric, month)),
      drawNow('energy', choose('energy', energy, filter.energy, 'all', month, (figure) => showMark(described(figure, frames.energyTexts.alts[month]), month))),
    ];
  }

  // The query string, in ViewState.to_query's order: metric, month, then the filter part.
  function search(metric, month, filter, settings) {
    const parts = [];
    if (metric !== settings.metric) { parts.push('metric=' + encodeURIComponent(metric)); }
    if (month !== settings.month) { parts.push('month=' + encodeURIComponent(month)); }
    if (filter.tail) { parts.push(filter.tail); }
    return parts.length ? '?' + parts.join('&') : '';
  }

  // The address bar, written here alone: a new filter is a history entry (Back returns to the
  // last filter); metric, month or a cleaned-up link replace the address (no entry per month).
  // Back and forward already show their address, so the filter they bring pushes nothing.
  function writeAddress(query, newFilter) {
    if (query === window.location.search) { return; }
    const address = window.location.pathname + query + window.location.hash;
    if (newFilter) {
      window.history.pushState(null, '', address);
    } else {
      window.history.replaceState(window.history.state, '', address);
    }
  }

  const current = {metric: null, month: null, slug: ''};
  // What `view` drew from last (its inputs), for drawing ahead of dash-renderer (below).
  let latest = null;

  function monthLabel(metric, month) {
    return 'Month: ' + month + (metric === 'machines' ? ' (not used by the machines map)' : '');
  }

  clientside.rigflows = {
    view: function (metric, monthIndex, filter, energyFrames, energyTexts, ...mapStoresAndSettings) {
      const settings = mapStoresAndSettings.pop();
      const frames = framesFrom(mapStoresAndSettings, energyFrames, energyTexts);
      latest = {metric: metric, monthIndex: monthIndex, filter: filter, frames: frames, settings: settings};
      const month = settings.months[monthIndex] || settings.month;
      current.metric = metric;
      current.month = month;
      current.slug = filter.slug;
      const query = search(metric, month, filter, settings);
      const triggered = (clientside.callback_context.triggered || []).map((t) => t.prop_id);
      writeAddress(query, triggered.includes('filter.data'));
      const [map, energy] = drawCharts(metric, month, filter, frames);
      return [query, map, energy, monthLabel(metric, month)];
    },

    // Play toggles the ticker; each tick moves to the next month; reaching the last one stops.
    play: function (nClicks, nIntervals, monthIndex, disabled, settings, metric, filter, energyFrames, energyTexts, ...mapStores) {
      const last = settings.months.length - 1;
      const triggered = (clientside.callback_context.triggered || []).map((t) => t.prop_id);
      if (triggered.includes('play.n_clicks')) {
        const playing = Boolean(disabled);
        const start = playing && monthIndex === last ? 0 : noUpdate();
        return [start, !playing, playing ? '❚❚ Pause' : '▶ Play'];
      }
      if (disabled) { return [noUpdate(), noUpdate(), noUpdate()]; }
      const next = (monthIndex + 1) % settings.months.length;
      drawAhead(metric, settings.months[next], filter, framesFrom(mapStores, energyFrames, energyTexts));
      // Only the month moves while playing: an unchanged prop still costs dash-renderer a pass
      // over every component, so the ticker and the button are left alone until the last month.
      return next === last ? [next, true, '▶ Play'] : [next, noUpdate(), noUpdate()];
    },

    copyLink: async function () {
      const link = window.location.href;
      try {
        await navigator.clipboard.writeText(link);
        return 'Link copied: ' + link;
      } catch (error) {
        return 'Copy this link: ' + link;
      }
    },
  };

  // The name of a chart's PNG, e.g. rigflows_map_share_2021-08_KAZ (like ViewState.slug).
  window.rigflowsFilename = function (chart) {
    const head = current.metric && current.metric !== 'machines' ? current.metric + '_' + current.month : 'machines';
    return ('rigflows_' + chart + '_' + (head + current.slug).slice(0, 120));
  };

  // The modebar's download button reads its filename from the chart's config when clicked:
  // set it just before (capture phase), so the config itself never changes.
  document.addEventListener('click', function (event) {
    const button = event.target.closest && event.target.closest('.modebar-btn');
    if (!button || !(button.getAttribute('data-title') || '').startsWith('Download plot')) { return; }
    const gd = button.closest('.js-plotly-plot');
    const chart = gd && gd.closest('.chart');
    if (gd && gd._context && chart) {
      gd._context.toImageButtonOptions = Object.assign({}, gd._context.toImageButtonOptions, {filename: window.rigflowsFilename(chart.id)});
    }
  }, true);

  // What the first paint does not show (the frames of the page's filter, the sources panel) is
  // asked for once the three charts have drawn their first figures (assets/widths.js tells):
  // answers arriving during the first paint held it up, by 0.7 s on 100x data. An embedded
  // chart (components/embed.py) has neither.
  let paintedSent = false;
  document.addEventListener('rigflows-painted', function () {
    const painted = (chart) => { const gd = document.querySelector('#' + chart + ' .js-plotly-plot'); return Boolean(gd && gd.rigflowsPainted); };
    if (!paintedSent && ['map', 'sankey', 'energy'].every(painted)) {
      paintedSent = true;
      clientside.set_props('page-painted', {data: true});
    }
  });

  // A month key on the slider or a metric picked: drawn here at once, as Play's tick is
  // (`drawAhead`), without waiting for dash-renderer to pass the new value on to `view` (about
  // 20 ms), which then finds the charts drawn. Listened for last (bubbling to the window), after
  // the slider has handled the key. Anything else (a drag, a click on the track) goes through `view`.
  const MONTH_KEYS = {ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1};
  window.addEventListener('keydown', function (event) {
    if (!latest || !event.target.closest || !event.target.closest('#month-slider') || event.altKey || event.ctrlKey || event.metaKey) { return; }
    const last = latest.settings.months.length - 1;
    const next = event.key === 'Home' ? 0 : event.key === 'End' ? last : event.key in MONTH_KEYS ? latest.monthIndex + MONTH_KEYS[event.key] : null;
    if (next === null || next < 0 || next > last || next === latest.monthIndex) { return; }
    drawAheadOfView(latest.metric, next);
  });
  window.addEventListener('change', function (event) {
    const input = event.target;
    if (!latest || !input.closest || !input.closest('#metric') || input.type !== 'radio' || !input.checked) { return; }
    drawAheadOfView(input.value, latest.monthIndex);
  });

  // The last view's filter at `metric` and the month at `monthIndex`, drawn at once.
  function drawAheadOfView(metric, monthIndex) {
    drawAhead(metric, latest.settings.months[monthIndex] || latest.settings.month, latest.filter, latest.frames);
  }

  // Back and forward: hand the address to the state callback (components/sync.py).
  window.addEventListener('popstate', function () {
    clientside.set_props('navigate', {data: window.location.search});
  });
})();
