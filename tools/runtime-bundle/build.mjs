// Bundle index.js into ../../assets/regenerator-runtime.min.js as a script that defines
// window.regeneratorRuntime, minified, under regenerator-runtime's licence (MIT) header with its version.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const OUTFILE = '../../assets/regenerator-runtime.min.js';
const { version, license } = JSON.parse(readFileSync('node_modules/regenerator-runtime/package.json', 'utf8'));

await build({
    entryPoints: ['index.js'],
    outfile: OUTFILE,
    format: 'iife',
    bundle: true,
    minify: true,
    legalComments: 'eof',
    banner: { js: `/*! regenerator-runtime v${version} | ${license} licence | https://github.com/facebook/regenerator */` },
    target: 'es2016',
    logLevel: 'info',
});
