// The part of fflate the press kit uses: a zip built in memory from named byte arrays.
// assets/presskit.js calls window.rigflowsZip.zipSync and strToU8.
export { zipSync, strToU8 } from 'fflate';
