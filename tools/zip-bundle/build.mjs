// Bundle index.js into ../../assets/fflate-zip.min.js as a script that defines
// window.rigflowsZip, minified, under fflate's licence (MIT) header with its version.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const OUTFILE = '../../assets/fflate-zip.min.js';
const { version, license } = JSON.parse(readFileSync('node_modules/fflate/package.json', 'utf8'));

await build({
    entryPoints: ['index.js'],
    outfile: OUTFILE,
    format: 'iife',
    globalName: 'rigflowsZip',
    bundle: true,
    minify: true,
    legalComments: 'eof',
    banner: { js: `/*! fflate v${version} (zipSync, strToU8 only) | ${license} licence | https://github.com/101arrowz/fflate */` },
    target: 'es2016',
    logLevel: 'info',
});
