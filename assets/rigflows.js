// Clientside helpers. Dash loads every .js file in assets/ itself; nothing comes from a CDN.
window.rigflows = {
  // "Download all charts": one 2x PNG per chart, named like the modebar's own download.
  downloadAllCharts: async function (nClicks) {
    if (!nClicks) { return window.dash_clientside.no_update; }
    const charts = Array.from(document.querySelectorAll('.js-plotly-plot'));
    for (const gd of charts) {
      const chart = gd.closest('.chart');
      await window.Plotly.downloadImage(gd, {
        format: 'png',
        scale: 2,
        filename: window.rigflowsFilename(chart ? chart.id : gd.id),
      });
    }
    return 'Downloaded ' + charts.length + ' charts as PNG.';
  },
};
