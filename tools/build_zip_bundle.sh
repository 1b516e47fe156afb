#!/bin/sh
# Rebuild assets/fflate-zip.min.js: fflate's zipSync and strToU8, with which assets/presskit.js
# builds the press kit zip in the browser. Versions are pinned in tools/zip-bundle/package-lock.json.
# Needs Node and npm; `make run` does not. To move to a new fflate: set its version in
# tools/zip-bundle/package.json, run `npm install --ignore-scripts` there, then this script.
set -eu
cd "$(dirname "$0")/zip-bundle"
npm ci --ignore-scripts --no-audit --no-fund
node build.mjs
