import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../dist/src/util/backend.js';
await initBackend({ force: 'wasm', report: null });
const b = tf.backend();
const w = b.wasm;
const orig = (w.asm && w.asm.malloc) || w._malloc; console.log("asm.malloc?", !!(w.asm && w.asm.malloc));
w._malloc = function (n) { const p = orig.call(this, n); if (n >= 2 ** 28) console.log("raw malloc", n, p); if (p === 0 && n > 0) throw new Error(`wasm malloc of ${n} bytes failed`); return p; };
const ts = [];
try { for (let i = 0; i < 5; i++) { const t = tf.fill([2 ** 28], 1); ts.push(t); const off = b.dataIdMap.get(t.dataId).memoryOffset; console.log('t', i, 'offset', off, 'heap GiB', (b.wasm.HEAPU8.length / 2 ** 30).toFixed(3)); } } catch (e) { console.log('ERR', e.message); }
const s = tf.tidy(() => ts[0].sum()); console.log('sum of t0', (await s.data())[0], 'expected', 2 ** 28);
