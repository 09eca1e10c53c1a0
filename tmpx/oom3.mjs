import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../dist/src/util/backend.js';
await initBackend({ force: 'wasm', report: null });
const b = tf.backend();
const ts = [];
try { for (let i = 0; i < 5; i++) { const t = tf.fill([2 ** 28], 1); ts.push(t); const off = b.dataIdMap.get(t.dataId).memoryOffset; console.log('t', i, 'offset', off, 'end GiB', ((off + 2 ** 30) / 2 ** 30).toFixed(3), 'heap GiB', (b.wasm.HEAPU8.length / 2 ** 30).toFixed(3)); } } catch (e) { console.log('ERR', e.message); }
