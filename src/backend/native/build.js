#!/usr/bin/env node
/*
 * Builds the optional native addon (src/backend/native/gawwn_native.cc) at install time, with oneDNN
 * (libdnnl-dev: convolutions and GEMM) and OpenBLAS (libopenblas-dev: the im2col + sgemm fallback) when both
 * are installed, else with whichever of the two is.
 *
 * It NEVER fails the install: when node-gyp, a C++ compiler, the Node headers or both libraries are missing,
 * or the built addon does not pass its self-test, it prints one line saying so, removes any half-built
 * binary, and exits 0. The backend chooser then uses plain wasm (src/backend/native/native-kernels.ts
 * reports the missing file as the reason).
 *
 * Node headers: node-gyp alone tries to download them, which fails offline. We pass --nodedir from npm's
 * configuration (npm_config_nodedir, set by npm for install scripts) or, failing that, the prefix of the
 * running node when it ships include/node/node_api.h (Debian's nodejs does: /usr/include/node).
 *
 * Run: `node src/backend/native/build.js` (from any directory). Env GAWWN_NATIVE=0 skips the build.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const here = __dirname;
const out = path.join(here, 'build', 'Release', 'gawwn_native.node');

function say(line) {
  process.stdout.write(`gawwn: ${line}\n`);
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  // npm bundles node-gyp; find it next to the npm that is running us, or next to node.
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch (_) { /* not a local dependency */ }
  return candidates.find((p) => fs.existsSync(p)) || null;
}

function findNodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured && fs.existsSync(path.join(configured, 'include', 'node', 'node_api.h'))) return configured;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return configured || null;
}

function tail(text) {
  const lines = String(text || '').split('\n').map((l) => l.trim()).filter((l) => /error|not found|cannot find|No such/i.test(l));
  return (lines[0] || String(text || '').trim().split('\n').pop() || '').slice(0, 200);
}

function removeBinary() {
  try { fs.rmSync(out, { force: true }); } catch (_) { /* nothing to remove */ }
}

/** Loads the fresh binary in a child process and checks a small sgemm against a hand-computed product. */
function selfTest() {
  const code = `
    const m = require(${JSON.stringify(out)});
    const h = new Float32Array(2*3 + 3*2 + 4);
    h.set([1,2,3,4,5,6], 0); h.set([7,8,9,10,11,12], 6);
    m.sgemm(h, 0, 0, 2, 2, 3, 0, 3, 24, 2, 0, 48, 2);
    const want = [58, 64, 139, 154];
    for (let i = 0; i < 4; i++) if (h[12 + i] !== want[i]) throw new Error('sgemm gave ' + Array.from(h.slice(12)));
    process.stdout.write(m.info().config);`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true, config: r.stdout.trim() } : { ok: false, reason: tail(r.stderr) };
}

/** One node-gyp build with the given libraries; returns null on success or a one-line reason. */
function build(gyp, nodedir, dnnl, openblas) {
  const args = [gyp, 'rebuild', '--directory', here, '--loglevel', 'error'];
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  args.push('--', `-Dgawwn_dnnl=${dnnl ? 1 : 0}`, `-Dgawwn_openblas=${openblas ? 1 : 0}`);
  removeBinary();
  // node-gyp also reads npm_config_nodedir from the environment, and that wins over --nodedir.
  const env = nodedir ? { ...process.env, npm_config_nodedir: nodedir } : process.env;
  // Bounded: without headers node-gyp tries to download them, which must not hang an offline install.
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 5 * 60 * 1000 });
  if (r.error && r.error.code === 'ETIMEDOUT') {
    removeBinary();
    return { fatal: true, why: 'node-gyp timed out after 5 min' };
  }
  if (r.status !== 0 || !fs.existsSync(out)) {
    removeBinary();
    const text = r.stderr + r.stdout;
    if (/dnnl/i.test(text)) return { why: 'oneDNN not found: apt-get install libdnnl-dev' };
    if (/openblas/i.test(text)) return { why: 'libopenblas not found: apt-get install libopenblas-dev' };
    return { why: tail(text) };
  }
  const t = selfTest();
  if (!t.ok) {
    removeBinary();
    return { why: `built but failed its self-test (${t.reason})` };
  }
  return { config: t.config };
}

function main() {
  if (process.env.GAWWN_NATIVE === '0') return say('native kernels skipped (GAWWN_NATIVE=0); using wasm');
  const gyp = findNodeGyp();
  if (gyp === null) return say('native kernels not built (node-gyp not found); using wasm');
  const nodedir = findNodeDir();
  // Most capable first. GAWWN_NATIVE_LIBS=openblas|onednn builds with that one only (to compare them).
  const only = process.env.GAWWN_NATIVE_LIBS;
  const plans = [[true, true], [false, true], [true, false]].filter(([d, o]) =>
    only === undefined || only === '' || (only === 'openblas' && !d && o) || (only === 'onednn' && d && !o));
  const reasons = [];
  for (const [dnnl, openblas] of plans) {
    const r = build(gyp, nodedir, dnnl, openblas);
    if (r.config !== undefined) return say(`native kernels built (${r.config})`);
    reasons.push(r.why);
    if (r.fatal) break;
  }
  say(`native kernels not built (${[...new Set(reasons)].join('; ')}); using wasm`);
}

try {
  main();
} catch (e) {
  removeBinary();
  say(`native kernels not built (${e && e.message ? e.message.split('\n')[0] : e}); using wasm`);
}
process.exitCode = 0;
