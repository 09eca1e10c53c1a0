import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../dist/src/util/backend.js';
await initBackend({ force: 'wasm', report: null });
const w = tf.backend().wasm;
const orig = w._malloc;
w._malloc = (n) => { const p = orig(n); console.log('malloc', n, '->', p >>> 0, 'heap', w.HEAPU8.length); return p; };
const ts = [];
try { for (let i = 0; i < 5; i++) { const t = tf.fill([2 ** 28], 1); ts.push(t); } } catch (e) { console.log('ERR', e.message); }
