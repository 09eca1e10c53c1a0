/**
 * gawwn — Learning What and Where to Draw (Reed et al., NIPS 2016) in TypeScript + TensorFlow.js.
 * Public API: re-exports only.
 */
export { initBackend, BACKEND_ORDER } from './util/backend.js';
export type { BackendName, BackendInfo } from './util/backend.js';
export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export { GawwnError } from './util/errors.js';
export { registerWasmTrainingKernels } from './backend/wasm-kernels.js';
export type { WasmKernelOptions, TransposedConvMode } from './backend/wasm-kernels.js';
export { profileKernels, formatKernelProfile } from './backend/profile.js';
export type { KernelProfile, KernelTime } from './backend/profile.js';
export { buildDcganWorkload } from './backend/bench-workload.js';
export type { DcganWorkload, DcganWorkloadConfig } from './backend/bench-workload.js';
