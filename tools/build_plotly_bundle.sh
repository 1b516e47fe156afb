#!/bin/sh
# Rebuild assets/plotly-rigflows.min.js: plotly.js with only the trace types the app draws.
# Versions are pinned in tools/plotly-bundle/package-lock.json; plotly.js must be the version
# plotly.py ships (tests/test_plotly_bundle.py checks). Needs Node and npm; `make run` does not.
# To move to a new plotly.py: set "plotly.js" in tools/plotly-bundle/package.json to
#   python -c "from plotly.offline import get_plotlyjs_version; print(get_plotlyjs_version())"
# then run `npm install --ignore-scripts` there, and this script.
set -eu
cd "$(dirname "$0")/plotly-bundle"
npm ci --ignore-scripts --no-audit --no-fund
node build.mjs
