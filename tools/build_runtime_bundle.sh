#!/bin/sh
# Rebuild assets/regenerator-runtime.min.js: the global regeneratorRuntime that Dash's compiled
# scripts call, which Dash's @babel/polyfill (left out of the page, components/page_scripts.py)
# used to define. Versions are pinned in tools/runtime-bundle/package-lock.json. Needs Node and
# npm; `make run` does not. To move to a new version: set it in tools/runtime-bundle/package.json,
# run `npm install --ignore-scripts` there, then this script.
set -eu
cd "$(dirname "$0")/runtime-bundle"
npm ci --ignore-scripts --no-audit --no-fund
node build.mjs
