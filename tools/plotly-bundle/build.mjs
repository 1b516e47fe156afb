// Bundle index.js into ../../assets/plotly-rigflows.min.js with the settings plotly.js uses for
// its own dist bundles (its esbuild-config.js), minified, under plotly.js's licence header.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const OUTFILE = '../../assets/plotly-rigflows.min.js';
const plotly = 'node_modules/plotly.js';
const { version } = JSON.parse(readFileSync(`${plotly}/package.json`, 'utf8'));

// plotly.js's own header ("plotly.js v4.1.1 / Copyright ... / Licensed under the MIT license"),
// naming this bundle the way plotly.js names its partial bundles ("plotly.js (geo - minified)").
const header = readFileSync(`${plotly}/dist/plotly.min.js`, 'utf8').match(/^\/\*\*[\s\S]*?\*\//)[0];
if (!header.includes(`plotly.js v${version}`)) {
    throw new Error(`unexpected plotly.js header: ${header}`);
}
const banner = header.replace(`plotly.js v${version}`, `plotly.js (rigflows: scatter, choropleth, scattergeo, sankey - minified) v${version}`);

await build({
    entryPoints: ['index.js'],
    outfile: OUTFILE,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    legalComments: 'eof',
    banner: { js: banner },
    // Only the map traces (not drawn here) import maplibre-gl's CSS.
    loader: { '.css': 'empty' },
    alias: { stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    target: 'es2016',
    logLevel: 'info',
});
