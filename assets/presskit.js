// Exports that carry their context. Every PNG and SVG a reader downloads from a chart (the
// modebar's camera, "Download all charts", the press kit) is drawn from a copy of the chart
// with a caption under it: the view's filters in words, the chart's own sources by name, the
// date and the view's link. The text comes from the server (GET api/v1/presskit.json with the
// page's query, components/presskit.py), never from this file. The press kit zip is built
// here with fflate (assets/fflate-zip.min.js, window.rigflowsZip), which the page fetches only
// when a reader first asks for a kit (rigflows.config.LAZY_ASSETS). Each chart's accessible
// name and text alternative travel with its figure (layout.meta) and are copied into the page
// here whenever the chart is drawn, so a month drawn in the browser is described without the server.
(function () {
  'use strict';

  const ENDPOINT = 'api/v1/presskit.json';
  const CAPTION_FONT_PX = 11;
  const CAPTION_LINE_PX = 15;
  const CAPTION_PAD_PX = 10;
  // An empty chart (a filter left nothing) has no title of its own: room for the caption's.
  const TITLE_ROOM_PX = 44;
  const MODEBAR_DOWNLOAD = '.modebar-btn[data-title="Download plot as a PNG"], .modebar-btn[data-title="Download plot"]';

  // The tab's upload (its key in session storage, never in the URL) and how it is drawn, so the
  // kit's CSV carries what the page shows (components/presskit.py).
  function yourData() {
    let token = null;
    try { token = JSON.parse(window.sessionStorage.getItem('upload-token')); } catch (error) { token = null; }
    if (typeof token !== 'string') { return {}; }
    const mode = document.querySelector('#upload-mode input:checked');
    return { 'X-Rigflows-Upload': token, 'X-Rigflows-Layer': mode ? mode.value : 'instead' };
  }

  // Its fingerprinted address, from the page's head (app.INDEX_STRING).
  const ZIP_LIBRARY = document.querySelector('meta[name="rigflows-zip-library"]').content;
  let zipLoaded = null;

  // window.rigflowsZip, loaded once, on the first press kit.
  function loadZip() {
    zipLoaded = zipLoaded || new Promise(function (resolve, reject) {
      const script = document.createElement('script');
      script.src = ZIP_LIBRARY;
      script.onload = function () { resolve(window.rigflowsZip); };
      script.onerror = function () { zipLoaded = null; reject(new Error('the zip library did not load')); };
      document.head.appendChild(script);
    });
    return zipLoaded;
  }

  async function fetchKit() {
    const response = await fetch(new URL(ENDPOINT + window.location.search, document.baseURI), { headers: Object.assign({ Accept: 'application/json' }, yourData()) });
    if (!response.ok) { throw new Error('press kit text: HTTP ' + response.status); }
    return response.json();
  }

  // The chart a plotly div belongs to: the id of its dcc.Graph ('map', 'sankey', 'energy').
  function chartName(gd) {
    const graph = gd && gd.closest ? gd.closest('.dash-graph') : null;
    return graph ? graph.id : null;
  }

  function plotDiv(name) {
    const graph = document.getElementById(name);
    return graph ? graph.querySelector('.js-plotly-plot') : null;
  }

  function escapeText(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }

  // Greedy word wrap to `width` characters (plotly never wraps annotation text itself); a
  // word longer than a line (a long link on a phone-width chart) is cut into pieces.
  function wrap(text, width) {
    const lines = [];
    let line = '';
    const words = String(text).split(/\s+/).flatMap((word) => word.match(new RegExp('.{1,' + width + '}', 'g')) || []);
    for (const word of words) {
      if (line && (line + ' ' + word).length > width) { lines.push(line); line = word; } else { line = line ? line + ' ' + word : word; }
    }
    if (line) { lines.push(line); }
    return lines;
  }

  function copy(value) {
    return typeof structuredClone === 'function' ? structuredClone(value) : JSON.parse(JSON.stringify(value));
  }

  // A copy of the drawn chart at its on-screen size, taller by the caption, which hangs below
  // everything the chart already draws under its plot area (axis, key, notes).
  function captionedFigure(gd, caption) {
    const full = gd._fullLayout;
    const width = full.width;
    const charsPerLine = Math.max(30, Math.floor((width - 40) / (CAPTION_FONT_PX * 0.56)));
    const lines = caption.lines.flatMap((line) => wrap(line, charsPerLine));
    const extra = lines.length * CAPTION_LINE_PX + 2 * CAPTION_PAD_PX;
    const layout = copy(gd.layout);
    const margin = Object.assign({}, layout.margin, { b: full._size.b + extra });
    let height = full.height + extra;
    if (!(layout.title && layout.title.text)) {
      layout.title = { text: '<b>' + escapeText(caption.title) + '</b>', x: 0, xref: 'paper', xanchor: 'left', y: 1, yref: 'container', yanchor: 'top', pad: { t: 12 } };
      margin.t = (margin.t || 0) + TITLE_ROOM_PX;
      height += TITLE_ROOM_PX;
    }
    layout.annotations = (layout.annotations || []).concat([{
      text: lines.map(escapeText).join('<br>'),
      xref: 'paper', yref: 'paper', x: 0, y: 0, xanchor: 'left', yanchor: 'top', yshift: -(full._size.b + CAPTION_PAD_PX),
      showarrow: false, align: 'left', font: { size: CAPTION_FONT_PX, color: '#333333' },
    }]);
    Object.assign(layout, { margin: margin, width: width, height: height, autosize: false });
    return { data: copy(gd.data), layout: layout, config: { topojsonURL: gd._context.topojsonURL } };
  }

  // The bytes of a data: URL from Plotly.toImage (PNG is base64, SVG is URI-encoded text).
  function dataUrlBytes(url, zip) {
    const comma = url.indexOf(',');
    const header = url.slice(0, comma);
    const body = url.slice(comma + 1);
    if (header.endsWith(';base64')) { return Uint8Array.from(atob(body), (ch) => ch.charCodeAt(0)); }
    return zip.strToU8(decodeURIComponent(body));
  }

  function save(blob, filename) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // Plotly.downloadImage, captioned for the page's charts. Everything that downloads a chart
  // through it (the buttons, assets/rigflows.js) gets the caption; other figures are unchanged.
  function installCaptionedDownloads() {
    const Plotly = window.Plotly;
    if (!Plotly || Plotly.downloadImage.rigflowsCaptioned) { return; }
    const original = Plotly.downloadImage;
    const captioned = async function (gd, opts) {
      const div = typeof gd === 'string' ? document.getElementById(gd) : gd;
      const plot = div && div.classList && !div.classList.contains('js-plotly-plot') ? div.querySelector('.js-plotly-plot') : div;
      const name = chartName(plot);
      if (!name || !plot._fullLayout) { return original.call(Plotly, gd, opts); }
      const kit = await fetchKit();
      if (!kit.charts[name]) { return original.call(Plotly, gd, opts); }
      // Named from the server's captions, like the caption itself: both read the page's address,
      // which is right from the first paint (the page's own name for it may not be set yet).
      const options = Object.assign({ format: 'png' }, opts, { filename: kit.charts[name].filename });
      const figure = captionedFigure(plot, kit.charts[name]);
      return original.call(Plotly, figure, Object.assign(options, { width: figure.layout.width, height: figure.layout.height }));
    };
    captioned.rigflowsCaptioned = true;
    Plotly.downloadImage = captioned;
  }

  // The modebar's camera calls plotly's internal download, not window.Plotly's: route it here.
  // Its options are read a moment later, so other click handlers may set them first.
  document.addEventListener('click', function (event) {
    const button = event.target.closest ? event.target.closest(MODEBAR_DOWNLOAD) : null;
    const plot = button ? button.closest('.js-plotly-plot') : null;
    if (!plot || !chartName(plot)) { return; }
    event.preventDefault();
    event.stopPropagation();
    installCaptionedDownloads();
    setTimeout(function () {
      const options = Object.assign({ format: 'png', scale: 2 }, plot._context.toImageButtonOptions);
      window.Plotly.downloadImage(plot, options).catch((error) => console.warn('chart download failed', error));
    }, 0);
  }, true);

  installCaptionedDownloads();

  // Each chart's accessible name and text alternative, as its figure carries them in
  // layout.meta ({title, alt}: rigflows/alttext.py), written into the chart's hidden elements
  // (components/presskit.py) whenever the figure is drawn, whether the server sent it or
  // assets/views.js drew a month from frames.
  function describe(gd) {
    const graph = gd.closest('.dash-graph[id]');
    const meta = (gd.layout && gd.layout.meta) || {};
    if (!graph) { return; }
    for (const [suffix, text] of [['-name', meta.title], ['-alt', meta.alt]]) {
      const element = document.getElementById(graph.id + suffix);
      if (element && typeof text === 'string' && element.textContent !== text) {
        window.dash_clientside.set_props(element.id, { children: text });
      }
    }
  }

  // Linked here because dcc.Graph takes no aria attributes. A chart's element appears only
  // when its lazily loaded component renders, which no callback waits for, so the page is
  // checked whenever it changes (a few selector queries, batched). plotly_afterplot follows a
  // full redraw, plotly_react every new figure (a month step may redraw only part of a chart).
  function linkDescriptions() {
    installCaptionedDownloads();
    for (const graph of document.querySelectorAll('.dash-graph[id]:not([aria-describedby])')) {
      const name = document.getElementById(graph.id + '-name');
      const alt = document.getElementById(graph.id + '-alt');
      if (!name || !alt) { continue; }
      graph.setAttribute('role', 'figure');
      graph.setAttribute('aria-labelledby', name.id);
      graph.setAttribute('aria-describedby', alt.id);
    }
    // Plotly.purge drops a chart's listeners and its next plot makes a new `on`: hooked again.
    for (const gd of document.querySelectorAll('.dash-graph[id] .js-plotly-plot')) {
      if (typeof gd.on !== 'function' || gd.rigflowsDescribedBy === gd.on) { continue; }
      gd.rigflowsDescribedBy = gd.on;
      gd.on('plotly_afterplot', () => describe(gd));
      gd.on('plotly_react', () => describe(gd));
      describe(gd);
    }
  }
  let linkPending = false;
  new MutationObserver(function () {
    if (linkPending) { return; }
    linkPending = true;
    setTimeout(function () { linkPending = false; linkDescriptions(); }, 0);
  }).observe(document.body, { childList: true, subtree: true });
  linkDescriptions();

  window.rigflowsPresskit = {
    downloadAllSvg: async function (nClicks) {
      if (!nClicks) { return window.dash_clientside.no_update; }
      installCaptionedDownloads();
      const plots = Array.from(document.querySelectorAll('.dash-graph .js-plotly-plot'));
      for (const plot of plots) {
        await window.Plotly.downloadImage(plot, { format: 'svg' });  // named by the server's captions
      }
      return 'Downloaded ' + plots.length + ' charts as SVG.';
    },

    // One zip: each chart as a 2x PNG and an SVG (captioned), and the server's text files
    // (CSV, citations, alt text, link, licences, README), in a folder named after the view.
    downloadPressKit: async function (nClicks) {
      if (!nClicks) { return window.dash_clientside.no_update; }
      try {
        const [kit, zip] = await Promise.all([fetchKit(), loadZip()]);
        const folder = 'rigflows_' + kit.slug + '_press-kit/';
        const files = {};
        for (const name of Object.keys(kit.charts)) {
          const plot = plotDiv(name);
          if (!plot || !plot._fullLayout) { throw new Error('the ' + name + ' chart is not drawn yet'); }
          const figure = captionedFigure(plot, kit.charts[name]);
          const size = { width: figure.layout.width, height: figure.layout.height };
          files[folder + name + '.png'] = dataUrlBytes(await window.Plotly.toImage(figure, Object.assign({ format: 'png', scale: 2 }, size)), zip);
          files[folder + name + '.svg'] = dataUrlBytes(await window.Plotly.toImage(figure, Object.assign({ format: 'svg' }, size)), zip);
        }
        for (const [name, text] of Object.entries(kit.files)) { files[folder + name] = zip.strToU8(text); }
        const zipped = zip.zipSync(files, { level: 6 });
        save(new Blob([zipped], { type: 'application/zip' }), folder.slice(0, -1) + '.zip');
        return 'Press kit downloaded: ' + Object.keys(files).length + ' files.';
      } catch (error) {
        return 'The press kit could not be made: ' + error.message;
      }
    },
  };
})();
