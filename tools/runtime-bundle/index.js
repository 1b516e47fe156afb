// The one part of @babel/polyfill the page needs (components/page_scripts.py leaves the polyfill
// out): dash-renderer's and dash_core_components' lazily loaded components call a global
// regeneratorRuntime (Babel's transform of their async functions).
import runtime from 'regenerator-runtime';

globalThis.regeneratorRuntime = runtime;
