/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * Public API: re-exports only.
 */
export { initBackend, BACKEND_ORDER } from './util/backend.js';
export type { BackendName, BackendInfo } from './util/backend.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export { GawwnError } from './util/errors.js';
export {
  loadNativeKernels, registerNativeKernels, unregisterNativeKernels, nativeKernelsRegistered, setNativeThreads,
  NATIVE_KERNEL_NAMES,
} from './backend/native/native-kernels.js';
export type { NativeLoadResult } from './backend/native/native-kernels.js';
