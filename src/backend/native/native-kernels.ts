/**
 * OpenBLAS-accelerated kernels for the tfjs 'wasm' backend: the heavy kernels of training
 * GAWWN (gawwn-reference §2–§4 are stacks of 4×4 / 3×3 / 1×1 convolutions, transposed convolutions and linears)
 * computed by a Node native addon (`gawwn_native.cc`: im2col / col2im + `cblas_sgemm`) directly on the
 * wasm heap, with no copy in or out.
 *
 * Overridden kernels (backend 'wasm'):
 * - the heavy ones, through sgemm: Conv2D, FusedConv2D, Conv2DBackpropInput (= transposed conv),
 *   Conv2DBackpropFilter (missing from tfjs-wasm 4.22), BatchMatMul, _FusedMatMul;
 * - memory-bound ones that tfjs-wasm 4.22 runs 10–80× slower than a plain loop and that a training step
 *   calls at every layer (measured in step-bench.ts): Tile (tfjs's batch-norm gradient tiles), Sum and Mean
 *   over a contiguous run of axes (batch-norm statistics; wasm transposes first), LeakyRelu with the Greater
 *   and Select of its gradient (D, gawwn-reference §2.3/§3.3), FusedBatchNorm, Concat and SplitV (the channel
 *   concatenations of gawwn-reference §2–§3 and their gradients).
 * Anything the addon does not cover (non-float32, NCHW, a bias or PReLU weight that is not per-channel, a
 * broadcast it does not handle) goes to the kernel that was registered before (tfjs's own wasm kernel, or
 * the one from `backend/wasm-kernels.ts`), so results never depend on coverage.
 *
 * Use: `loadNativeKernels()` (never throws; tells why when the addon is unusable), then, once the wasm backend
 * is set and `registerWasmTrainingKernels()` has run, `registerNativeKernels()`. `unregisterNativeKernels()`
 * puts the previous kernels back (tests and the plain-wasm vs wasm+openblas benchmark use it).
 *
 * Memory: outputs are allocated with the backend's own `makeOutput` (so tfjs owns and frees them); the heap
 * view is read AFTER that allocation, because growing the wasm memory replaces its ArrayBuffer.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../../util/errors.js';

/** The functions exported by `gawwn_native.node` (offsets are BYTE offsets into `heap`). */
export interface NativeAddon {
  conv2d(heap: ArrayBufferView, xOff: number, wOff: number, yOff: number, ...geomAndEpilogue: number[]): void;
  conv2dBackpropInput(heap: ArrayBufferView, dyOff: number, wOff: number, dxOff: number, ...geom: number[]): void;
  conv2dBackpropFilter(heap: ArrayBufferView, xOff: number, dyOff: number, dwOff: number, ...geom: number[]): void;
  batchMatMul(heap: ArrayBufferView, aOff: number, bOff: number, outOff: number, ...dimsAndEpilogue: number[]): void;
  reduceMiddle(heap: ArrayBufferView, xOff: number, outOff: number, a: number, r: number, c: number, scale: number): void;
  leakyRelu(heap: ArrayBufferView, xOff: number, outOff: number, n: number, alpha: number): void;
  greater(heap: ArrayBufferView, aOff: number, bOff: number, outOff: number, n: number, bIsScalar: number): void;
  select(heap: ArrayBufferView, condOff: number, tOff: number, eOff: number, outOff: number, n: number): void;
  batchNorm(heap: ArrayBufferView, xOff: number, outOff: number, n: number, c: number, ...params: number[]): void;
  concatRows(heap: ArrayBufferView, bigOff: number, outer: number, bigInner: number, elemBytes: number, toBig: number,
    count: number, ...partOffAndInner: number[]): void;
  tile(heap: ArrayBufferView, xOff: number, outOff: number, elemBytes: number, rank: number, ...shapeAndReps: number[]): void;
  sgemm(heap: ArrayBufferView, transA: number, transB: number, m: number, n: number, k: number,
    aOff: number, lda: number, bOff: number, ldb: number, beta: number, cOff: number, ldc: number): void;
  binary(heap: ArrayBufferView, op: number, aOff: number, bOff: number, outOff: number, outer: number, inner: number, aMode: number, bMode: number): void;
  tanh(heap: ArrayBufferView, xOff: number, outOff: number, n: number): void;
  adamUpdate(heap: ArrayBufferView, valueOff: number, mOff: number, vOff: number, gOff: number, omab1Off: number, omab2Off: number,
    newValueOff: number, newMOff: number, newVOff: number, n: number, beta1: number, oneMinusBeta1: number, beta2: number,
    oneMinusBeta2: number, negLr: number, eps: number): void;
  setNumThreads(n: number): void;
  setLoopThreads(n: number): void;
  /** 1 = oneDNN, 0 = im2col + OpenBLAS, for convolutions and for GEMMs; throws when that library is not built in. */
  setLibrary(conv: number, gemm: number): void;
  info(): NativeInfo;
}

/** What the addon was built with and what it runs. `config` is one line naming both libraries. */
export interface NativeInfo {
  threads: number;
  config: string;
  /** e.g. "oneDNN 2.6.3 avx512_core_bf16"; empty when built without libdnnl-dev. */
  onednn: string;
  /** OpenBLAS's own description (version, core, max threads); empty when built without libopenblas-dev. */
  openblas: string;
  convLibrary: 'onednn' | 'im2col+sgemm';
  gemmLibrary: 'onednn' | 'openblas';
  /** Threads of the addon's own memory-bound loops (1 unless GAWWN_NATIVE_LOOP_THREADS says otherwise). */
  loopThreads: number;
  /** Convolutions (forward or either gradient) run by oneDNN so far; the rest took the im2col path. */
  onednnConvs: number;
}

export type NativeLoadResult =
  | { ok: true; threads: number; openblas: string; onednn: string; config: string; convolutions: string; path: string }
  | { ok: false; reason: string };

/** Kernel names this module overrides on the 'wasm' backend. */
export const NATIVE_KERNEL_NAMES: readonly string[] = [
  tf.Conv2D, tf.FusedConv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter, tf.BatchMatMul, tf._FusedMatMul, tf.Tile,
  tf.Sum, tf.Mean, tf.LeakyRelu, tf.Greater, tf.Select, tf.FusedBatchNorm, tf.Concat, tf.SplitV,
  tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.Tanh,
];

/** The fused Adam update (one variable), registered on 'wasm' beside the overrides; see {@link nativeAdamUpdate}. */
export const ADAM_KERNEL = 'GawwnAdamUpdate';

/** Activation codes shared with gawwn_native.cc (`enum Act`). */
const ACTIVATIONS: Readonly<Record<string, number>> = {
  linear: 0, relu: 1, relu6: 2, prelu: 3, leakyrelu: 4, sigmoid: 5, elu: 6,
};

// Process-wide like tfjs's own kernel registry, which these mirror: the loaded addon and the kernels
// that were registered before ours (restored by unregisterNativeKernels).
let addon: NativeAddon | null = null;
let loadResult: NativeLoadResult | null = null;
let previous: Map<string, tf.KernelConfig | undefined> | null = null;

/** Where the build script (`build.js`, node-gyp) puts the addon, found from the package root. */
export function nativeAddonPath(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'src', 'backend', 'native', 'binding.gyp'))) {
      return path.join(dir, 'src', 'backend', 'native', 'build', 'Release', 'gawwn_native.node');
    }
    const up = path.dirname(dir);
    if (up === dir) return path.join(__dirname, 'build', 'Release', 'gawwn_native.node');
    dir = up;
  }
}

/**
 * Loads the addon once. Never throws: `{ok: false, reason}` when it was not built (no compiler or no
 * libopenblas at install time) or does not load; the caller then uses plain wasm.
 * `GAWWN_NATIVE_LIBRARY=onednn|openblas` picks the library for convolutions and GEMMs when the addon has both
 * (default oneDNN), e.g. to compare them.
 * @param opts.threads OpenBLAS and im2col threads (default: `os.availableParallelism()`).
 * @param opts.path the `.node` file (default: {@link nativeAddonPath}).
 */
export function loadNativeKernels(opts: { threads?: number; path?: string } = {}): NativeLoadResult {
  if (addon !== null && loadResult !== null && loadResult.ok) {
    if (opts.threads !== undefined) setNativeThreads(opts.threads);
    const info = addon.info();
    loadResult = { ...loadResult, threads: info.threads, convolutions: info.convLibrary };
    return loadResult;
  }
  const file = opts.path ?? nativeAddonPath();
  if (!fs.existsSync(file)) {
    loadResult = { ok: false, reason: `native addon not built (${file} missing; needs a C++ compiler and libopenblas-dev at install)` };
    return loadResult;
  }
  try {
    setRuntimeEnvironment(process.env, readCpuFlags());
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as NativeAddon;
    addon = mod;
    setNativeThreads(opts.threads ?? os.availableParallelism());
    const loops = process.env.GAWWN_NATIVE_LOOP_THREADS ?? '';
    if (loops !== '') {
      const n = Number(loops);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new GawwnError(`GAWWN_NATIVE_LOOP_THREADS must be an integer in 1..64, got '${loops}'`);
      mod.setLoopThreads(n);
    }
    const lib = process.env.GAWWN_NATIVE_LIBRARY ?? '';
    if (lib === 'onednn' || lib === 'openblas') setNativeLibrary(lib, lib);
    else if (lib !== '') throw new GawwnError(`GAWWN_NATIVE_LIBRARY must be onednn or openblas, got '${lib}'`);
    const info = mod.info();
    loadResult = { ok: true, threads: info.threads, openblas: info.openblas, onednn: info.onednn, config: info.config,
      convolutions: info.convLibrary, path: file };
  } catch (e) {
    addon = null;
    loadResult = { ok: false, reason: `native addon does not load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}` };
  }
  return loadResult;
}

/**
 * The OpenBLAS core for this CPU's flags, for `OPENBLAS_CORETYPE`: Debian's DYNAMIC_ARCH OpenBLAS 0.3.21
 * identifies cores by vendor/family/model tables, and a CPU newer than its tables (seen: an AVX-512 Xeon)
 * falls back to the Prescott kernels, ~3.4× slower sgemm (55 against 185 GFLOP/s on two cores). Choosing
 * by ISA flags instead is what OpenBLAS's own `OPENBLAS_CORETYPE` override is for (OpenBLAS README, "Support
 * for multiple targets in a single library"; driver/others/dynamic.c reads it in the library's constructor,
 * so it must be set before the library loads). Cooperlake is SkylakeX plus BF16 kernels: same sgemm.
 */
export function openblasCoreFor(flags: ReadonlySet<string>): string | undefined {
  const avx512 = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.has(f));
  if (avx512 && flags.has('avx512_bf16')) return 'Cooperlake';
  if (avx512) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return undefined;
}

/** The CPU feature flags of /proc/cpuinfo (empty where there is none, e.g. macOS). */
function readCpuFlags(): Set<string> {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^flags\s*:/.test(l));
    return new Set(line === undefined ? [] : line.replace(/^flags\s*:/, '').trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

/**
 * Environment read by the addon's libraries when they load (so set before `require`), each only when the
 * user has not set it:
 * - `OPENBLAS_CORETYPE` from the CPU's flags ({@link openblasCoreFor});
 * - `OMP_WAIT_POLICY=passive`: oneDNN's OpenMP threads otherwise spin for a while after every primitive,
 *   and in this process the JS thread and the addon's own helper threads run right after each one on the
 *   same cores. Measured on two cores (small preset step, keypoint, batch 16): 1.74 s/step spinning
 *   against 1.09 s passive, sampling 49 against 230 images/s.
 */
export function setRuntimeEnvironment(env: NodeJS.ProcessEnv, flags: ReadonlySet<string>): void {
  const core = openblasCoreFor(flags);
  if ((env.OPENBLAS_CORETYPE ?? '') === '' && core !== undefined) env.OPENBLAS_CORETYPE = core;
  if ((env.OMP_WAIT_POLICY ?? '') === '') env.OMP_WAIT_POLICY = 'passive';
}

/**
 * Chooses the library for convolutions and for GEMMs ('onednn' or the im2col + OpenBLAS path) while the
 * addon is loaded; throws when that library was not built in. For tests and paired benchmarks.
 */
export function setNativeLibrary(conv: 'onednn' | 'openblas', gemm: 'onednn' | 'openblas'): void {
  requireAddon().setLibrary(conv === 'onednn' ? 1 : 0, gemm === 'onednn' ? 1 : 0);
}

/** The loaded addon, or null (for the benchmark and tests). */
export function nativeAddon(): NativeAddon | null {
  return addon;
}

/** Sets oneDNN's (OpenMP) and OpenBLAS's thread counts. */
export function setNativeThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new GawwnError(`native threads must be an integer >= 1, got ${n}`);
  requireAddon().setNumThreads(n);
}

/** True while the native kernels are registered on 'wasm'. */
export function nativeKernelsRegistered(): boolean {
  return previous !== null;
}

/**
 * Overrides the heavy 'wasm' kernels with the native ones (idempotent). Call after the wasm backend's own
 * training kernels are registered, so that those become the fallbacks.
 */
export function registerNativeKernels(): void {
  requireAddon();
  if (previous !== null) return;
  const prev = new Map<string, tf.KernelConfig | undefined>();
  for (const name of NATIVE_KERNEL_NAMES) {
    const old = tf.getKernel(name, 'wasm');
    prev.set(name, old);
    if (old !== undefined) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      // Keep the old kernel's setup: tfjs runs setupFunc when the backend is (re)initialised, and the old
      // kernel must be ready to take the cases delegated to it.
      setupFunc: old?.setupFunc,
      disposeFunc: old?.disposeFunc,
      kernelFunc: makeKernel(name, old),
    });
  }
  const a = requireAddon();
  if (tf.getKernel(ADAM_KERNEL, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'wasm', kernelFunc: (args) => adamKernel(a, args) });
  }
  previous = prev;
}

/** Restores the kernels that were registered before {@link registerNativeKernels}. */
export function unregisterNativeKernels(): void {
  if (previous === null) return;
  for (const [name, old] of previous) {
    tf.unregisterKernel(name, 'wasm');
    if (old !== undefined) tf.registerKernel(old);
  }
  if (tf.getKernel(ADAM_KERNEL, 'wasm') !== undefined) tf.unregisterKernel(ADAM_KERNEL, 'wasm');
  previous = null;
}

/**
 * One variable's Adam step as ONE kernel on wasm+native: returns [θ', m', v'] (new tensors; the caller assigns
 * them), bit-identical to tfjs's AdamOptimizer (same float32 operations in the same order: gawwn_native.cc,
 * AdamUpdate), or null when the fused kernel does not apply (native kernels not registered, another backend,
 * not float32, shapes differ), in which case the caller runs tfjs's ops. `oneMinusAccBeta1/2` are the scalar
 * tensors 1 − β1ᵗ and 1 − β2ᵗ, as the optimizer keeps them. Why: tfjs's update is 13 kernels per variable,
 * ~1,400 of a small-preset training step's ~5,800 dispatches (two networks of ~55 variables each).
 */
export function nativeAdamUpdate(value: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, oneMinusAccBeta1: tf.Tensor,
  oneMinusAccBeta2: tf.Tensor, beta1: number, beta2: number, learningRate: number, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (previous === null || tf.getBackend() !== 'wasm') return null;
  const all = [value, m, v, g];
  if (all.some((t) => t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, value.shape))) return null;
  if (value.size === 0 || oneMinusAccBeta1.size !== 1 || oneMinusAccBeta2.size !== 1 || oneMinusAccBeta1.dtype !== 'float32' || oneMinusAccBeta2.dtype !== 'float32') return null;
  const out = tf.engine().runKernel(ADAM_KERNEL, { value, m, v, g, oneMinusAccBeta1, oneMinusAccBeta2 } as unknown as tf.NamedTensorMap,
    { beta1, beta2, learningRate, epsilon } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  return [out[0], out[1], out[2]];
}

function adamKernel(a: NativeAddon, args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { value, m, v, g, oneMinusAccBeta1, oneMinusAccBeta2 } = args.inputs as Record<string, tf.TensorInfo>;
  const { beta1, beta2, learningRate, epsilon } = args.attrs as unknown as { beta1: number; beta2: number; learningRate: number; epsilon: number };
  const n = tf.util.sizeFromShape(value.shape);
  const outs = [value, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
  // The scalars as tfjs's ops see them: each a float32 tensor made from the JS number (1 − β computed in double first).
  a.adamUpdate(backend.wasm.HEAPU8, offsetOf(backend, value), offsetOf(backend, m), offsetOf(backend, v), offsetOf(backend, g),
    offsetOf(backend, oneMinusAccBeta1), offsetOf(backend, oneMinusAccBeta2), offsetOf(backend, outs[0]), offsetOf(backend, outs[1]),
    offsetOf(backend, outs[2]), n, beta1, 1 - beta1, beta2, 1 - beta2, -learningRate, epsilon);
  return outs;
}

function requireAddon(): NativeAddon {
  if (addon === null) {
    throw new GawwnError(`native kernels are not loaded: ${loadResult !== null && !loadResult.ok ? loadResult.reason : 'call loadNativeKernels() first'}`);
  }
  return addon;
}

// ------------------------------------------------------------------------------------------------------
// Kernels
// ------------------------------------------------------------------------------------------------------

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Fallback = (args: KernelArgs, why: string) => tf.TensorInfo | tf.TensorInfo[];

function makeKernel(name: string, old: tf.KernelConfig | undefined): tf.KernelFunc {
  const fallback: Fallback = (args, why) => {
    if (old === undefined) throw new GawwnError(`${name} on wasm+openblas: ${why}, and no wasm kernel to fall back to`);
    return old.kernelFunc(args);
  };
  const a = requireAddon();
  switch (name) {
    case tf.Conv2D: return (args) => conv2d(a, args, false, fallback);
    case tf.FusedConv2D: return (args) => conv2d(a, args, true, fallback);
    case tf.Conv2DBackpropInput: return (args) => conv2dBackpropInput(a, args, fallback);
    case tf.Conv2DBackpropFilter: return (args) => conv2dBackpropFilter(a, args, fallback);
    case tf.BatchMatMul: return (args) => batchMatMul(a, args, false, fallback);
    case tf._FusedMatMul: return (args) => batchMatMul(a, args, true, fallback);
    case tf.Tile: return (args) => tile(a, args, fallback);
    case tf.Sum: return (args) => reduce(a, args, false, fallback);
    case tf.LeakyRelu: return (args) => leakyRelu(a, args, fallback);
    case tf.Greater: return (args) => greater(a, args, fallback);
    case tf.Select: return (args) => select(a, args, fallback);
    case tf.FusedBatchNorm: return (args) => batchNorm(a, args, fallback);
    case tf.Concat: return (args) => concat(a, args, fallback);
    case tf.SplitV: return (args) => splitV(a, args, fallback);
    case tf.Mean: return (args) => reduce(a, args, true, fallback);
    case tf.Add: return (args) => binary(a, args, 0, fallback);
    case tf.Sub: return (args) => binary(a, args, 1, fallback);
    case tf.Multiply: return (args) => binary(a, args, 2, fallback);
    case tf.RealDiv: return (args) => binary(a, args, 3, fallback);
    case tf.Tanh: return (args) => tanh(a, args, fallback);
    default: throw new GawwnError(`no native kernel for ${name}`);
  }
}

function offsetOf(backend: WasmBackendLike, t: tf.TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (d === undefined) throw new GawwnError('tensor is not on the wasm backend');
  return d.memoryOffset;
}

/** The 15 geometry numbers of gawwn_native.cc's `Geom`, from tfjs's own conv bookkeeping. */
function geom(c: tf.backend_util.Conv2DInfo): number[] {
  return [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth,
    c.padInfo.top, c.padInfo.left];
}

const NO_EPILOGUE = [-1, 0, ACTIVATIONS.linear, -1, 0, 0];

/**
 * The bias/activation arguments, or a reason they cannot be fused here. Bias and PReLU weights must be
 * per-channel (size C) or scalar, as in tfjs-wasm's own fused kernels.
 */
function epilogue(backend: WasmBackendLike, channels: number, bias: tf.TensorInfo | undefined,
  prelu: tf.TensorInfo | undefined, activation: string | undefined, alpha: number | undefined): number[] | string {
  const act = ACTIVATIONS[activation ?? 'linear'];
  if (act === undefined) return `activation ${activation}`;
  const per = (t: tf.TensorInfo) => t.dtype === 'float32' && t.shape.length <= 1 && [1, channels].includes(tf.util.sizeFromShape(t.shape));
  if (bias !== undefined && !per(bias)) return `bias of shape [${bias.shape}]`;
  if (act === ACTIVATIONS.prelu && (prelu === undefined || !per(prelu))) return 'prelu weights not per-channel';
  return [
    bias === undefined ? -1 : offsetOf(backend, bias), bias === undefined ? 0 : tf.util.sizeFromShape(bias.shape), act,
    act === ACTIVATIONS.prelu && prelu !== undefined ? offsetOf(backend, prelu) : -1,
    act === ACTIVATIONS.prelu && prelu !== undefined ? tf.util.sizeFromShape(prelu.shape) : 0, alpha ?? 0,
  ];
}

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
interface ConvAttrs {
  strides: [number, number] | number; pad: Pad; dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string; leakyreluAlpha?: number;
  inputShape?: [number, number, number, number]; filterShape?: [number, number, number, number];
}

function conv2d(a: NativeAddon, args: KernelArgs, fused: boolean, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const at = args.attrs as unknown as ConvAttrs;
  if (x === undefined || filter === undefined) throw new GawwnError('conv2d needs x and filter');
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return fallback(args, 'not float32');
  if ((at.dataFormat ?? 'NHWC') !== 'NHWC') return fallback(args, 'not NHWC');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number], at.strides, at.dilations ?? 1, at.pad, at.dimRoundingMode);
  const ep = fused ? epilogue(backend, info.outChannels, bias, preluActivationWeights, at.activation, at.leakyreluAlpha) : NO_EPILOGUE;
  if (typeof ep === 'string') return fallback(args, ep);
  const out = backend.makeOutput(info.outShape, 'float32');
  a.conv2d(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, filter), offsetOf(backend, out), ...geom(info), ...ep);
  return out;
}

function conv2dBackpropInput(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { dy, filter } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const at = args.attrs as unknown as ConvAttrs;
  if (dy === undefined || filter === undefined || at.inputShape === undefined) throw new GawwnError('Conv2DBackpropInput needs dy, filter and inputShape');
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') return fallback(args, 'not float32');
  if ((at.dataFormat ?? 'NHWC') !== 'NHWC') return fallback(args, 'not NHWC');
  const info = tf.backend_util.computeConv2DInfo(at.inputShape, filter.shape as [number, number, number, number],
    at.strides, 1, at.pad, at.dimRoundingMode);
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) {
    throw new GawwnError(`Conv2DBackpropInput: dy has shape [${dy.shape}], expected [${info.outShape}] for input [${at.inputShape}]`);
  }
  const out = backend.makeOutput([...at.inputShape], 'float32');
  a.conv2dBackpropInput(backend.wasm.HEAPU8, offsetOf(backend, dy), offsetOf(backend, filter), offsetOf(backend, out), ...geom(info));
  return out;
}

function conv2dBackpropFilter(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x, dy } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const at = args.attrs as unknown as ConvAttrs;
  if (x === undefined || dy === undefined || at.filterShape === undefined) throw new GawwnError('Conv2DBackpropFilter needs x, dy and filterShape');
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args, 'not float32');
  if ((at.dataFormat ?? 'NHWC') !== 'NHWC') return fallback(args, 'not NHWC');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], at.filterShape,
    at.strides, 1, at.pad, at.dimRoundingMode);
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) {
    throw new GawwnError(`Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${info.outShape}] for x [${x.shape}]`);
  }
  const out = backend.makeOutput([...at.filterShape], 'float32');
  a.conv2dBackpropFilter(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out), ...geom(info));
  return out;
}

function batchMatMul(a: NativeAddon, args: KernelArgs, fused: boolean, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { a: A, b: B, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const at = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
  if (A === undefined || B === undefined) throw new GawwnError('matMul needs a and b');
  if (A.dtype !== 'float32' || B.dtype !== 'float32') return fallback(args, 'not float32');
  const ra = A.shape.length, rb = B.shape.length;
  if (ra < 2 || rb < 2) return fallback(args, 'rank < 2');
  const m = at.transposeA ? A.shape[ra - 1] : A.shape[ra - 2];
  const kA = at.transposeA ? A.shape[ra - 2] : A.shape[ra - 1];
  const kB = at.transposeB ? B.shape[rb - 1] : B.shape[rb - 2];
  const n = at.transposeB ? B.shape[rb - 2] : B.shape[rb - 1];
  if (kA !== kB) {
    throw new GawwnError(`matMul: inner dimensions ${kA} and ${kB} of shapes [${A.shape}] and [${B.shape}] (transposeA=${at.transposeA}, transposeB=${at.transposeB}) differ`);
  }
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(A.shape.slice(0, -2)), batchB = tf.util.sizeFromShape(B.shape.slice(0, -2));
  const ep = fused ? epilogue(backend, n, bias, preluActivationWeights, at.activation, at.leakyreluAlpha) : NO_EPILOGUE;
  if (typeof ep === 'string') return fallback(args, ep);
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const heap = backend.wasm.HEAPU8;
  const offA = offsetOf(backend, A), offB = offsetOf(backend, B), offOut = offsetOf(backend, out);
  const tA = at.transposeA ? 1 : 0, tB = at.transposeB ? 1 : 0;
  if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
    // Equal total size means no batch axis was broadcast; a size of 1 broadcasts as a whole.
    a.batchMatMul(heap, offA, offB, offOut, batchA, batchB, m, n, kA, tA, tB, ...ep);
  } else {
    // Axis-wise broadcast (e.g. [3,1] with [1,3]; tfjs-wasm's own kernel gets this wrong): one product
    // per output batch, each operand indexed through its own broadcast strides.
    const ia = broadcastIndex(A.shape.slice(0, -2), outer), ib = broadcastIndex(B.shape.slice(0, -2), outer);
    for (let i = 0; i < batch; i++) {
      a.batchMatMul(heap, offA + 4 * ia[i] * m * kA, offB + 4 * ib[i] * kA * n, offOut + 4 * i * m * n, 1, 1, m, n, kA, tA, tB, ...ep);
    }
  }
  return out;
}

const ELEMENT_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

function tile(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { reps } = args.attrs as unknown as { reps: number[] };
  if (x === undefined) throw new GawwnError('Tile needs x');
  const eb = ELEMENT_BYTES[x.dtype];
  if (eb === undefined || x.shape.length === 0 || x.shape.length > 16) return fallback(args, `dtype ${x.dtype} / rank ${x.shape.length}`);
  if (reps.length !== x.shape.length || reps.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new GawwnError(`Tile: reps [${reps}] must be ${x.shape.length} non-negative integers for shape [${x.shape}]`);
  }
  const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]), x.dtype);
  a.tile(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, out), eb, x.shape.length, ...x.shape, ...reps);
  return out;
}

function reduce(a: NativeAddon, args: KernelArgs, mean: boolean, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  if (x === undefined) throw new GawwnError(`${mean ? 'Mean' : 'Sum'} needs x`);
  if (x.dtype !== 'float32' || x.shape.length === 0) return fallback(args, `dtype ${x.dtype} / scalar`);
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
  if (axes.length === 0 || axes[axes.length - 1] - axes[0] !== axes.length - 1) return fallback(args, 'non-contiguous axes');
  const size = (from: number, to: number) => x.shape.slice(from, to).reduce((p, d) => p * d, 1);
  const A = size(0, axes[0]), R = size(axes[0], axes[axes.length - 1] + 1), C = size(axes[axes.length - 1] + 1, x.shape.length);
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const out = backend.makeOutput(outShape, 'float32');
  // Mean of an empty axis is NaN, as on the cpu backend (0/0).
  a.reduceMiddle(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, out), A, R, C, mean ? 1 / R : 1);
  return out;
}

function leakyRelu(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { alpha } = args.attrs as unknown as { alpha: number };
  if (x === undefined) throw new GawwnError('LeakyRelu needs x');
  if (x.dtype !== 'float32') return fallback(args, `dtype ${x.dtype}`);
  const out = backend.makeOutput([...x.shape], 'float32');
  a.leakyRelu(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, out), tf.util.sizeFromShape(x.shape), alpha);
  return out;
}

/**
 * a ∘ b (op 0 add, 1 sub, 2 mul, 3 div) for float32 when one operand has the output's shape and the other has
 * it too, is one value, or equals the output's trailing dimensions (a per-channel vector against NHWC, as in
 * batch norm); other broadcasts and dtypes go to wasm's kernel.
 */
function binary(a: NativeAddon, args: KernelArgs, op: number, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { a: x, b: y } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (x === undefined || y === undefined) throw new GawwnError('binary op needs a and b');
  if (x.dtype !== 'float32' || y.dtype !== 'float32') return fallback(args, 'not float32');
  const outShape = tf.backend_util.assertAndGetBroadcastShape(x.shape, y.shape);
  const n = tf.util.sizeFromShape(outShape);
  const strip = (shape: number[]) => { let i = 0; while (i < shape.length && shape[i] === 1) i++; return shape.slice(i); };
  const outStripped = strip(outShape);
  const mode = (t: tf.TensorInfo): [number, number] | null => {
    const sz = tf.util.sizeFromShape(t.shape);
    if (sz === n && tf.util.arraysEqual(strip(t.shape), outStripped)) return [0, n];
    if (sz === 1) return [2, 1];
    const st = strip(t.shape);
    if (st.length > 0 && st.length <= outStripped.length && tf.util.arraysEqual(st, outStripped.slice(outStripped.length - st.length))) return [1, sz];
    return null;
  };
  const ma = mode(x), mb = mode(y);
  if (ma === null || mb === null || (ma[0] !== 0 && mb[0] !== 0)) return fallback(args, 'broadcast');
  const inner = ma[0] === 1 ? ma[1] : mb[0] === 1 ? mb[1] : n;
  const out = backend.makeOutput(outShape, 'float32');
  if (n === 0) return out;
  a.binary(backend.wasm.HEAPU8, op, offsetOf(backend, x), offsetOf(backend, y), offsetOf(backend, out), n / inner, inner, ma[0], mb[0]);
  return out;
}

function tanh(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (x === undefined) throw new GawwnError('Tanh needs x');
  if (x.dtype !== 'float32') return fallback(args, `dtype ${x.dtype}`);
  const out = backend.makeOutput([...x.shape], 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  if (n > 0) a.tanh(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, out), n);
  return out;
}

/** a > b for float32 a and b of the same shape, or b a single value; other broadcasts go to wasm's kernel. */
function greater(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { a: x, b: y } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (x === undefined || y === undefined) throw new GawwnError('Greater needs a and b');
  if (x.dtype !== 'float32' || y.dtype !== 'float32') return fallback(args, 'not float32');
  const n = tf.util.sizeFromShape(x.shape), scalar = tf.util.sizeFromShape(y.shape) === 1 && y.shape.length <= x.shape.length;
  if (!scalar && !tf.util.arraysEqual(x.shape, y.shape)) return fallback(args, 'broadcast');
  const out = backend.makeOutput([...x.shape], 'bool');
  a.greater(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, y), offsetOf(backend, out), n, scalar ? 1 : 0);
  return out;
}

/** where(condition, t, e) when all three have the same shape and t, e are float32. */
function select(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { condition, t, e } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (condition === undefined || t === undefined || e === undefined) throw new GawwnError('Select needs condition, t and e');
  if (condition.dtype !== 'bool' || t.dtype !== 'float32' || e.dtype !== 'float32') return fallback(args, 'dtypes');
  if (!tf.util.arraysEqual(condition.shape, t.shape) || !tf.util.arraysEqual(t.shape, e.shape)) return fallback(args, 'shapes differ');
  const out = backend.makeOutput([...t.shape], 'float32');
  a.select(backend.wasm.HEAPU8, offsetOf(backend, condition), offsetOf(backend, t), offsetOf(backend, e), offsetOf(backend, out),
    tf.util.sizeFromShape(t.shape));
  return out;
}

function batchNorm(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  if (x === undefined || mean === undefined || variance === undefined) throw new GawwnError('FusedBatchNorm needs x, mean and variance');
  if (x.shape.length === 0) return fallback(args, 'scalar');
  const c = x.shape[x.shape.length - 1];
  const params = [mean, variance, offset, scale];
  // Per-channel (size C, or 1) parameters over the last axis; anything else broadcasts differently.
  const perChannel = (t: tf.TensorInfo | undefined) => t === undefined ||
    (t.dtype === 'float32' && [1, c].includes(tf.util.sizeFromShape(t.shape)) && t.shape.slice(0, -1).every((d) => d === 1));
  if (x.dtype !== 'float32' || !params.every(perChannel)) return fallback(args, 'parameters not per-channel');
  const out = backend.makeOutput([...x.shape], 'float32');
  const arg = (t: tf.TensorInfo | undefined) => (t === undefined ? [-1, 0] : [offsetOf(backend, t), tf.util.sizeFromShape(t.shape)]);
  a.batchNorm(backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, out), tf.util.sizeFromShape(x.shape), c,
    ...arg(mean), ...arg(variance), ...arg(offset), ...arg(scale), varianceEpsilon);
  return out;
}

/** [outer, inner] view of `shape` around `axis`: outer = Π shape[0..axis), inner = Π shape[axis..). */
function rowsAround(shape: number[], axis: number): [number, number] {
  return [tf.util.sizeFromShape(shape.slice(0, axis)), tf.util.sizeFromShape(shape.slice(axis))];
}

function concat(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const inputs = (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as tf.TensorInfo[];
  const { axis: axisAttr } = args.attrs as unknown as { axis: number | number[] };
  if (inputs.length === 0) throw new GawwnError('Concat needs inputs');
  const eb = ELEMENT_BYTES[inputs[0].dtype];
  const rank = inputs[0].shape.length;
  if (eb === undefined || rank === 0 || inputs.length > 16 || inputs.some((t) => t.dtype !== inputs[0].dtype || t.shape.length !== rank)) {
    return fallback(args, 'dtype / rank / count');
  }
  const axis = tf.util.parseAxisParam(axisAttr, inputs[0].shape)[0];
  for (const t of inputs) {
    if (t.shape.some((d, i) => i !== axis && d !== inputs[0].shape[i])) {
      throw new GawwnError(`Concat: shapes [${inputs.map((u) => `[${u.shape}]`).join(', ')}] differ off axis ${axis}`);
    }
  }
  const outShape = [...inputs[0].shape];
  outShape[axis] = inputs.reduce((s, t) => s + t.shape[axis], 0);
  const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  const [outer, inner] = rowsAround(outShape, axis);
  if (outer * inner === 0) return out;
  a.concatRows(backend.wasm.HEAPU8, offsetOf(backend, out), outer, inner, eb, 1, parts.length,
    ...parts.flatMap((t) => [offsetOf(backend, t), rowsAround(t.shape, axis)[1]]));
  return out;
}

function splitV(a: NativeAddon, args: KernelArgs, fallback: Fallback): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { numOrSizeSplits, axis: axisAttr } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  if (x === undefined) throw new GawwnError('SplitV needs x');
  const eb = ELEMENT_BYTES[x.dtype];
  if (eb === undefined || x.shape.length === 0) return fallback(args, 'dtype / rank');
  const axis = tf.util.parseAxisParam(axisAttr, x.shape)[0];
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (x.shape[axis] % numOrSizeSplits !== 0) throw new GawwnError(`SplitV: ${x.shape[axis]} is not divisible by ${numOrSizeSplits}`);
    sizes = new Array<number>(numOrSizeSplits).fill(x.shape[axis] / numOrSizeSplits);
  } else {
    sizes = [...numOrSizeSplits];
    const neg = sizes.indexOf(-1);
    if (neg >= 0) sizes[neg] = x.shape[axis] - sizes.reduce((s, v) => (v === -1 ? s : s + v), 0);
  }
  if (sizes.reduce((s, v) => s + v, 0) !== x.shape[axis] || sizes.some((v) => v < 0)) {
    throw new GawwnError(`SplitV: sizes [${sizes}] do not add up to ${x.shape[axis]}`);
  }
  if (sizes.length > 16) return fallback(args, 'too many parts');
  const outs = sizes.map((sz) => backend.makeOutput(x.shape.map((d, i) => (i === axis ? sz : d)), x.dtype));
  const [outer, inner] = rowsAround(x.shape, axis);
  if (outer * inner === 0) return outs;
  const parts = outs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  a.concatRows(backend.wasm.HEAPU8, offsetOf(backend, x), outer, inner, eb, 0, parts.length,
    ...parts.flatMap((t) => [offsetOf(backend, t), rowsAround(t.shape, axis)[1]]));
  return outs;
}

/** For each flat index of the broadcast shape `outer`, the flat index into an operand of shape `shape`. */
function broadcastIndex(shape: number[], outer: number[]): number[] {
  const padded = [...new Array<number>(outer.length - shape.length).fill(1), ...shape];
  const idx: number[] = [];
  const total = tf.util.sizeFromShape(outer);
  for (let flat = 0; flat < total; flat++) {
    let rem = flat, src = 0, stride = 1;
    for (let d = outer.length - 1; d >= 0; d--) {
      const coord = rem % outer[d];
      rem = Math.floor(rem / outer[d]);
      if (padded[d] !== 1) src += coord * stride;
      stride *= padded[d];
    }
    idx.push(src);
  }
  return idx;
}
