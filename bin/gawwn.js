#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI lives in the built library (npm run build -> dist/).
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`gawwn: ${err && err.message ? err.message : err}`); process.exitCode = 1; });
