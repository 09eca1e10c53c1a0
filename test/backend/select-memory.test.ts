/**
 * wasmMemoryError (backend/select.ts): filling the wasm backend's 4 GiB heap gives one line that says so and what to
 * do, instead of "memory access out of bounds". Runs in its own process (node --test spawns one per file): the
 * heap it grows to ~4 GiB is never returned to the system.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, wasmMemoryError } from '../../src/backend/select.js';

test('the wasm heap filled past 4 GiB: the allocation fails at once, earlier tensors stay intact, and the CLI line names the fix', async () => {
  await initBackend({ force: 'wasm', report: null });
  const held: tf.Tensor[] = [];
  let caught: unknown = null;
  try {
    // 1 GiB tensors until the heap refuses one. Unguarded, tfjs-wasm 4.22 gave the 4th offset 0 and wrote it
    // over the first, failing later with "memory access out of bounds".
    for (let i = 0; i < 6; i++) held.push(tf.fill([2 ** 28], i + 1));
  } catch (e) {
    caught = e;
  }
  assert.notEqual(caught, null, 'six 1 GiB tensors fit in the wasm heap: the 4 GiB cap this test relies on is gone');
  assert.match(String(caught), /cannot allocate 1073741824 bytes on the wasm heap \([0-9.]+ GiB in use\)/);
  // The tensors allocated before are intact (nothing was written over them).
  for (let i = 0; i < held.length; i++) {
    const head = tf.tidy(() => held[i].slice(0, 4096));
    assert.ok((await head.data()).every((v) => v === i + 1), `tensor ${i} was overwritten`);
    head.dispose();
  }
  const msg = wasmMemoryError(caught);
  assert.ok(msg !== null, `not recognised as a wasm memory failure: ${String(caught)}`);
  assert.match(msg ?? '', /^the wasm backend ran out of memory \(heap now [0-9.]+ GiB\): WebAssembly caps it at 4 GiB\. Lower --batch/);
  assert.ok(msg.endsWith(`[${(caught as Error).message}]`), 'the original error is kept at the end');
  // Other errors, and the same words on another backend, are left alone.
  assert.equal(wasmMemoryError(new Error('expected 3 channels, got 4')), null);
  tf.dispose(held);
  assert.ok(await tf.setBackend('cpu'));
  assert.equal(wasmMemoryError(caught), null);
  assert.equal(wasmMemoryError(new Error('gawwn native: dfilter lies outside the heap')), null);
});
