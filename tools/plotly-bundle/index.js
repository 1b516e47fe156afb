// plotly.js with only the trace types Rig Flows draws. plotly.js/lib/core already holds
// `scatter` (the energy chart) and every layout component; add the other three.
// tests/test_plotly_bundle.py fails when a figure the app builds uses a type missing here.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/choropleth'),
    require('plotly.js/lib/scattergeo'),
    require('plotly.js/lib/sankey'),
]);

module.exports = Plotly;
