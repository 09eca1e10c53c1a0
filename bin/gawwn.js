#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI lives in the built library (npm run build -> dist/).
let cli;
try {
  cli = require('../dist/src/cli/main.js');
} catch (err) {
  // Loading fails before main() can report it; the usual cause is sharp's native libvips binary, an optional
  // dependency that npm drops without an error when its download fails. Say so in one line, not sharp's page.
  const msg = String((err && err.message) || err);
  const first = msg.split('\n')[0];
  console.error(/Could not load the "sharp" module/.test(msg)
    ? `gawwn: the image codec sharp cannot load its native binary (${first}); reinstall it: npm ci --include=optional`
    : `gawwn: cannot load the CLI (${first})${/Cannot find module '.*dist\/src\/cli\/main\.js'/.test(msg) ? '; build it: npm run build' : ''}`);
  if (process.argv.includes('--debug')) console.error(err && err.stack);
  process.exit(1);
}
cli.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`gawwn: ${err && err.message ? err.message : err}`); process.exitCode = 1; });
