/**
 * Kernels the tfjs 4.22 wasm backend lacks (or runs slowly) for training GAWWN, registered for 'wasm'.
 * Each is tested against the cpu backend in test/backend/wasm-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

/** Registers the training kernels for the wasm backend (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  void tf; // kernels are added by the kernels work (issue 2/9)
}
