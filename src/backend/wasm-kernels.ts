/**
 * Kernels the tfjs 4.22 wasm backend lacks (or runs slowly) for training GAWWN, registered for 'wasm'.
 * Each is tested against the cpu backend in
 * test/backend/wasm-kernels.test.ts.
 *
 * What tfjs-backend-wasm 4.22 is missing for training these networks (cpu kernels absent from wasm):
 *   - `Conv2DBackpropFilter`: the filter gradient of every conv (and of every transposed conv);
 *   - `UnsortedSegmentSum`: the gradient of `tf.gather` (used when a gathered tensor feeds a weight).
 * What it has but runs slowly (each replaced here, the original kept for fallbacks):
 *   - `Conv2DBackpropInput` (the transposed convolution and the input gradient of a conv): a direct C++
 *     loop, not XNNPACK; 55% of a 64-px DCGAN step, 64–67% of the 128-px workload;
 *   - `Tile`: per-element index arithmetic; tfjs-core's batch-norm gradient tiles once per BN layer (7–8%);
 *   - `BatchMatMul` / `_FusedMatMul` with transposeA/transposeB: 15–40× slower than untransposed, and every
 *     dense layer's backward pass uses them;
 *   - `Identity`: a full copy, made for every tensor saved for a gradient (see `sharedIdentity`).
 * The others GAWWN's training needs (Conv2D/FusedConv2D, FusedBatchNorm, Relu/LeakyRelu/Elu/EluGrad/
 * Sigmoid/Tanh, Mean, Sum, Concat, Transpose, the elementwise ops of the gradients) are the backend's own
 * and are checked against cpu in the tests.
 *
 * Composite kernels call the registered wasm kernel functions directly (see wasm-ops.ts) so intermediates
 * are backend data freed before return; layout-only steps that the backend's kernels do slowly (filter
 * reordering, phase interleaving, tiling, segment sums) are single JS passes over the wasm heap.
 * Measured with `node dist/src/bench/kernels.js` (128 px, batch 16, ngf 32; see bench/kernels.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../util/errors.js';
import { WasmBackendLike, WasmKernelFunc, WasmScope } from './wasm-ops.js';

type TensorInfo = tf.TensorInfo;
type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** Which algorithm `Conv2DBackpropInput` uses on wasm. */
export type TransposedConvMode =
  /** Sub-pixel (stride ≥ 2) / flipped-filter (stride 1) XNNPACK convolution, or one matmul for 1×1 inputs,
   * falling back to the backend's own kernel only where those do not apply (see `chooseBackpropInput`). */
  | 'fast'
  /** Always the wasm backend's own (direct-loop) kernel: for comparison and benchmarks. */
  | 'native'
  /** Like 'fast' but never 'phases' (one shared-window conv): for tests and benchmarks. */
  | 'subpixel'
  /** Like 'fast' but 'phases' wherever it applies: for tests and benchmarks. */
  | 'phases';

const MODES: readonly TransposedConvMode[] = ['fast', 'native', 'subpixel', 'phases'];

export interface WasmKernelOptions {
  /** Default: 'fast'. */
  transposedConv?: TransposedConvMode;
}

interface Registration {
  /** The wasm backend's own kernels that ours replace, captured before unregistering them. */
  natives: Map<string, WasmKernelFunc>;
  options: Required<WasmKernelOptions>;
}

let registration: Registration | null = null;

/**
 * Registers the training kernels for the wasm backend. The first call registers; later calls only update
 * the options (so a benchmark can switch `transposedConv` between runs). Safe to call before the wasm
 * backend is initialised, as long as `@tensorflow/tfjs-backend-wasm` has been loaded.
 */
export function registerWasmTrainingKernels(opts: WasmKernelOptions = {}): void {
  const options: Required<WasmKernelOptions> = { transposedConv: opts.transposedConv ?? 'fast' };
  if (!MODES.includes(options.transposedConv)) {
    throw new GawwnError(`transposedConv must be one of ${MODES.join(', ')}, got '${String(options.transposedConv)}'`);
  }
  if (registration !== null) {
    registration.options = options;
    return;
  }
  const natives = new Map<string, WasmKernelFunc>();
  for (const config of kernelConfigs()) {
    const own = tf.getKernel(config.kernelName, 'wasm');
    if (own !== undefined) {
      natives.set(config.kernelName, own.kernelFunc as unknown as WasmKernelFunc);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
  }
  registration = { natives, options };
  for (const config of kernelConfigs()) tf.registerKernel(config);
}

function kernelConfigs(): tf.KernelConfig[] {
  return [
    { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc },
    { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc },
    { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc },
    { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tile as unknown as tf.KernelFunc },
    { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: untransposedMatMul('BatchMatMul') as unknown as tf.KernelFunc },
    { kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc: untransposedMatMul('_FusedMatMul') as unknown as tf.KernelFunc },
    { kernelName: 'Identity', backendName: 'wasm', kernelFunc: sharedIdentity as unknown as tf.KernelFunc },
  ];
}

/**
 * `Identity` (tf.clone) sharing its input's data, as the cpu backend's does and as wasm's own Reshape does
 * (refCount + 1), instead of tfjs-wasm 4.22's full copy. tfjs clones every tensor a kernel saves for its gradient
 * (engine `saveTensorsForBackwardMode`), so on wasm each saved activation and weight was stored twice: in a
 * paper-preset training step, 38 copies of the D trunk's [3B,16,16,256] maps, 12 of its [3B,64,64,128] ones and
 * the 4×4×512×1024 weights (counted with `tf.profile`). Sharing is safe because no tfjs kernel writes into an
 * input and `Variable.assign` re-points a variable to new data rather than overwriting its memory.
 */
function sharedIdentity({ inputs, backend }: KernelArgs<unknown>): TensorInfo {
  const x = inputs.x;
  if (x.dtype === 'string') return native('Identity')({ inputs, backend }) as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function native(name: string): WasmKernelFunc {
  const k = registration?.natives.get(name);
  if (k === undefined) throw new GawwnError(`the wasm backend has no ${name} kernel to build on`);
  return k;
}

interface KernelArgs<A> {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendLike;
  attrs: A;
}

function checkNHWC(dataFormat: string | undefined, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new GawwnError(`${kernel} on wasm supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Conv2DBackpropFilter
// ---------------------------------------------------------------------------------------------------------

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} xpad[n, oh·s+kh, ow·s+kw, ci] · dy[n,oh,ow,co].
 *
 * Read with batch and channel axes swapped this is ONE convolution: input xᵀ [Ci, H, W, N] (padded
 * explicitly as the forward conv was), filter dyᵀ [Ho, Wo, N, Co], dilation = the forward stride, stride 1;
 * its output [Ci, ≥kh, ≥kw, Co] is cropped to [Ci, kh, kw, Co] and transposed to [kh, kw, Ci, Co].
 * (7.3 s -> 1.6 s per 64-px DCGAN step against strided slices + matmul.)
 * A 1×1 stride-1 unpadded conv is a plain matmul xᵀ·dy over the N·H·W rows, which needs no transposes.
 */
function conv2DBackpropFilter(args: KernelArgs<BackpropFilterAttrs>): TensorInfo {
  const { backend, attrs } = args;
  const { x, dy } = args.inputs;
  checkNHWC(attrs.dataFormat, 'Conv2DBackpropFilter');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const [n, h, w, ci] = x.shape;
  const [, ho, wo, co] = dy.shape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const scope = new WasmScope(backend);
  let out: TensorInfo | null = null;
  try {
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && ho === h && wo === w) {
      const x2 = scope.reshape(x, [1, n * h * w, ci]);
      const dy2 = scope.reshape(dy, [1, n * ho * wo, co]);
      const g = scope.batchMatMul(x2, dy2, true, false);
      out = scope.reshape(g, [1, 1, ci, co]);
      return out;
    }
    const xT = scope.transpose(x, [3, 1, 2, 0]);
    const dyT = scope.transpose(dy, [1, 2, 0, 3]);
    // Only as much bottom/right padding as the last filter row needs (TF's SAME may pad one more row,
    // which no output position reads); negative means rows the forward conv never read: crop below.
    const bottom = Math.max(0, kh + (ho - 1) * sh - h - top);
    const right = Math.max(0, kw + (wo - 1) * sw - w - left);
    const g = scope.conv2d(xT, dyT, [1, 1], [[0, 0], [top, bottom], [left, right], [0, 0]], [sh, sw]);
    const gh = g.shape[1];
    const gw = g.shape[2];
    const cropped = gh === kh && gw === kw ? g : scope.slice(g, [0, 0, 0, 0], [ci, kh, kw, co]);
    out = scope.transpose(cropped, [1, 2, 0, 3]);
    return out;
  } finally {
    scope.done(out);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Conv2DBackpropInput (transposed convolution)
// ---------------------------------------------------------------------------------------------------------

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/** The sub-pixel plan along one spatial axis (see `conv2DBackpropInput`). */
export interface AxisPlan {
  /** Stride s: number of output phases. */
  s: number;
  /** Taps per phase J = ceil(k / s). */
  taps: number;
  /** Rows per phase M = ceil(H / s). */
  rows: number;
  /** Zero padding of dy before / after for the single stride-1 conv. */
  padBefore: number;
  padAfter: number;
  /** For phase φ (output rows ih ≡ φ mod s): which residue r = (φ + p) mod s of the filter it uses… */
  residue: number[];
  /** …and the conv output row that holds its row m = 0. */
  offset: number[];
}

/**
 * Plans one axis of dx = convTranspose(dy, w) with filter size k, stride s, leading pad p, dx length H and
 * dy length Ho. With ih + p = s·q + r (0 ≤ r < s):
 *   dx[ih] = Σ_j dy[q − j] · w[r + s·j],  j = 0 … ceil((k − r)/s) − 1,
 * i.e. output phase φ = ih mod s is a stride-1 correlation of dy with the flipped taps w[r + s·j]
 * (r = (φ + p) mod s), whose row m needs dy[m + c_φ − J + 1 … m + c_φ] with c_φ = floor((φ + p)/s).
 * All phases share one padded dy, one J-tap window, and differ only by an output row offset.
 */
export function planAxis(k: number, s: number, p: number, h: number, ho: number): AxisPlan {
  const taps = Math.ceil(k / s);
  const rows = Math.ceil(h / s);
  const residue: number[] = [];
  const c: number[] = [];
  for (let phi = 0; phi < s; phi++) {
    residue.push((phi + p) % s);
    c.push(Math.floor((phi + p) / s));
  }
  const padBefore = Math.max(0, ...c.map((ci) => taps - 1 - ci));
  const offset = c.map((ci) => ci + padBefore - taps + 1);
  const need = Math.max(...offset.map((o) => o + rows));
  const padAfter = Math.max(0, need - (ho + padBefore - taps + 1));
  return { s, taps, rows, padBefore, padAfter, residue, offset };
}

/** One output phase along one axis when each phase gets its own convolution (route 'phases'). */
export interface PhasePlan {
  /** Filter residue r = (φ + p) mod s. */
  residue: number;
  /** Taps of this phase: #{j : r + s·j < k}. */
  taps: number;
  /** Zero padding of dy before / after so that output row m is dx row s·m + φ (rows beyond M unused). */
  padBefore: number;
  padAfter: number;
}

/** Per-phase plans for one axis (same notation as `planAxis`); null when a phase would need negative padding. */
export function planPhases(k: number, s: number, p: number, h: number, ho: number): PhasePlan[] | null {
  const rows = Math.ceil(h / s);
  const plans: PhasePlan[] = [];
  for (let phi = 0; phi < s; phi++) {
    const residue = (phi + p) % s;
    const c = Math.floor((phi + p) / s);
    const taps = Math.ceil((k - residue) / s);
    const padBefore = taps - 1 - c;
    if (taps < 1 || padBefore < 0) return null;
    plans.push({ residue, taps, padBefore, padAfter: Math.max(0, rows - ho - padBefore + taps - 1) });
  }
  return plans;
}

/** How `Conv2DBackpropInput` is computed for a given shape (exported for tests and benchmarks). */
export type BackpropInputRoute = 'matmul' | 'subpixel' | 'phases' | 'native';

/**
 * Above this ratio of computed to needed output pixels, the one shared-window conv ('subpixel') wastes
 * enough on its padding rows that one conv per phase ('phases') is cheaper: at 4×4 s2 p1 the ratio is
 * ((Ho+1)/Ho)², 1.56 for a 4×4 dy, 1.27 for 8×8, 1.13 for 16×16, 1.06 for 32×32.
 */
export const PHASES_WASTE_THRESHOLD = 1.1;

/**
 * Picks the route. 'matmul' when dy is 1×1 and each dx pixel gets exactly one filter tap (the 4×4 s1 p0
 * projection from a 1×1 code, gawwn-reference §2.2/§3.2): dx = dy · wᵀ. Otherwise the sub-pixel decomposition,
 * as one conv ('subpixel') or, when that would compute > PHASES_WASTE_THRESHOLD× the needed pixels,
 * one conv per phase ('phases'); the backend's own kernel ('native') only where neither applies
 * (a filter smaller than its stride leaves phases with no taps; negative padding).
 */
export function chooseBackpropInput(
  dyShape: number[], filterShape: number[], inputShape: number[], strides: [number, number], pad: { top: number; left: number },
  mode: TransposedConvMode = 'fast',
): BackpropInputRoute {
  if (mode === 'native') return 'native';
  const [kh, kw] = filterShape;
  const [, ho, wo] = dyShape;
  const [, h, w] = inputShape;
  const [sh, sw] = strides;
  if (ho === 1 && wo === 1 && pad.top === 0 && pad.left === 0 && h === kh && w === kw) return 'matmul';
  if (kh < sh || kw < sw || pad.top < 0 || pad.left < 0) return 'native';
  const ph = planAxis(kh, sh, pad.top, h, ho);
  const pw = planAxis(kw, sw, pad.left, w, wo);
  const computed = (ho + ph.padBefore + ph.padAfter - ph.taps + 1) * (wo + pw.padBefore + pw.padAfter - pw.taps + 1);
  const needed = ph.rows * pw.rows;
  if (mode === 'subpixel') return 'subpixel';
  if ((mode === 'phases' || computed > PHASES_WASTE_THRESHOLD * needed) && planPhases(kh, sh, pad.top, h, ho) && planPhases(kw, sw, pad.left, w, wo)) {
    return 'phases';
  }
  return 'subpixel';
}

/**
 * dx = the transposed convolution of dy with filter w [kh, kw, Ci, Co] (the input gradient of a conv with
 * the same attributes). The backend's own kernel is a direct loop (5–15× slower than XNNPACK convs on
 * GAWWN's shapes); here, the sub-pixel decomposition: dx's s² output phases (rows ≡ φ mod s, columns
 * ≡ ψ mod s) are stride-1 correlations of dy with the s² sub-filters w[r_h + s·j, r_w + s·i], flipped —
 * no work on the zeros a strided transposed conv inserts. Either
 *  - 'phases': one XNNPACK conv per phase, each with its own padding, exactly the needed pixels; or
 *  - 'subpixel': ONE conv with s²·Ci output channels (filter [J, J, Co, s²·Ci]) over a dy padded for all
 *    phases at once; fewer, larger GEMMs, but it computes ((Ho+1)/Ho)² of the pixels at 4×4 s2 p1, so it
 *    only wins on large maps (measured, dx [16,64,64,32]: 174 ms vs 193 ms per phase; dx [16,8,8,256]:
 *    202 ms vs 82 ms);
 * then the phases are interleaved into dx (depth-to-space with per-phase offsets) in one pass.
 * Stride 1 is the same plan with one phase (a conv with the flipped, transposed filter); dy 1×1 with one
 * tap per dx pixel is one matmul.
 */
function conv2DBackpropInput(args: KernelArgs<BackpropInputAttrs>): TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  checkNHWC(attrs.dataFormat, 'Conv2DBackpropInput');
  const reg = registration;
  if (reg === null) throw new GawwnError('wasm training kernels used before registerWasmTrainingKernels()');
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const route = chooseBackpropInput(dy.shape, filter.shape, attrs.inputShape,
    [info.strideHeight, info.strideWidth], info.padInfo, reg.options.transposedConv);
  if (route === 'native') return native('Conv2DBackpropInput')(args as unknown as Parameters<WasmKernelFunc>[0]) as TensorInfo;
  const [n, h, w, ci] = attrs.inputShape;
  const [kh, kw, , co] = filter.shape;
  const scope = new WasmScope(backend);
  let out: TensorInfo | null = null;
  try {
    if (route === 'matmul') {
      // dx = dy · wᵀ computed as (w · dyᵀ)ᵀ: only the two small operands dy and dx are transposed.
      const dyT = scope.transpose(scope.reshape(dy, [n, co]), [1, 0]);
      const w2 = scope.reshape(filter, [1, kh * kw * ci, co]);
      const yT = scope.batchMatMul(w2, scope.reshape(dyT, [1, co, n]), false, false);
      const y = scope.transpose(scope.reshape(yT, [kh * kw * ci, n]), [1, 0]);
      out = scope.reshape(y, [n, h, w, ci]);
      return out;
    }
    if (route === 'phases') {
      const phs = planPhases(kh, info.strideHeight, info.padInfo.top, h, dy.shape[1]) as PhasePlan[];
      const pws = planPhases(kw, info.strideWidth, info.padInfo.left, w, dy.shape[2]) as PhasePlan[];
      const ys: TensorInfo[] = [];
      for (const a of phs) {
        for (const b of pws) {
          const g = phaseFilter(scope, filter, a, b, info.strideHeight, info.strideWidth);
          ys.push(scope.conv2d(dy, g, [1, 1], [[0, 0], [a.padBefore, a.padAfter], [b.padBefore, b.padAfter], [0, 0]]));
        }
      }
      out = interleaveSeparatePhases(scope, ys, phs.length, pws.length, [n, h, w, ci]);
      return out;
    }
    const ph = planAxis(kh, info.strideHeight, info.padInfo.top, h, dy.shape[1]);
    const pw = planAxis(kw, info.strideWidth, info.padInfo.left, w, dy.shape[2]);
    const g = subPixelFilter(scope, filter, ph, pw);
    const y = scope.conv2d(dy, g, [1, 1], [[0, 0], [ph.padBefore, ph.padAfter], [pw.padBefore, pw.padAfter], [0, 0]]);
    out = interleavePhases(scope, y, ph, pw, [n, h, w, ci]);
    return out;
  } finally {
    scope.done(out);
  }
}

/**
 * The combined filter [J_h, J_w, Co, s_h·s_w·Ci]: channel block (r_h·s_w + r_w) holds the taps
 * w[r_h + s_h·j, r_w + s_w·i] flipped (window slot J−1−j), zero where r + s·j ≥ k.
 * Built in one JS pass over the wasm heap: the same reorder through the backend's Reverse and 6-D
 * Transpose kernels cost more than the convolution itself on the 2M-weight layers.
 */
function subPixelFilter(scope: WasmScope, filter: TensorInfo, ph: AxisPlan, pw: AxisPlan): TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const blocks = ph.s * pw.s * ci;
  const g = scope.adopt(scope.backend.makeOutput([ph.taps, pw.taps, co, blocks], 'float32'));
  const src = scope.backend.typedArrayFromHeap(filter) as Float32Array;
  const dst = scope.backend.typedArrayFromHeap(g) as Float32Array;
  dst.fill(0);
  // Walk the source in memory order (kh, kw, ci, co); each (kh, kw) plane lands in one window slot and
  // one channel block, ci/co transposed.
  for (let y = 0; y < kh; y++) {
    const rh = y % ph.s;
    const a = ph.taps - 1 - (y - rh) / ph.s;
    for (let x = 0; x < kw; x++) {
      const rw = x % pw.s;
      const b = pw.taps - 1 - (x - rw) / pw.s;
      const srcBase = (y * kw + x) * ci * co;
      const dstBase = (a * pw.taps + b) * co * blocks + (rh * pw.s + rw) * ci;
      for (let c = 0; c < ci; c++) {
        const s0 = srcBase + c * co;
        let d = dstBase + c;
        for (let o = 0; o < co; o++, d += blocks) dst[d] = src[s0 + o];
      }
    }
  }
  return g;
}

/** Phase (φ, ψ)'s filter [t_h, t_w, Co, Ci]: w[r_h + s_h·(t_h−1−a), r_w + s_w·(t_w−1−b), c, co]. */
function phaseFilter(scope: WasmScope, filter: TensorInfo, a: PhasePlan, b: PhasePlan, sh: number, sw: number): TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const g = scope.adopt(scope.backend.makeOutput([a.taps, b.taps, co, ci], 'float32'));
  const src = scope.backend.typedArrayFromHeap(filter) as Float32Array;
  const dst = scope.backend.typedArrayFromHeap(g) as Float32Array;
  for (let i = 0; i < a.taps; i++) {
    const y = a.residue + sh * (a.taps - 1 - i);
    for (let j = 0; j < b.taps; j++) {
      const x = b.residue + sw * (b.taps - 1 - j);
      const srcBase = (y * kw + x) * ci * co;
      const dstBase = (i * b.taps + j) * co * ci;
      for (let c = 0; c < ci; c++) {
        const s0 = srcBase + c * co;
        let d = dstBase + c;
        for (let o = 0; o < co; o++, d += ci) dst[d] = src[s0 + o];
      }
    }
  }
  return g;
}

/** dx[n, s_h·m + φ, s_w·m' + ψ, c] = y_{φψ}[n, m, m', c] (each phase output has ≥ M rows and columns). */
function interleaveSeparatePhases(scope: WasmScope, ys: TensorInfo[], sh: number, sw: number, dxShape: number[]): TensorInfo {
  const [n, h, w, ci] = dxShape;
  const out = scope.adopt(scope.backend.makeOutput([n, h, w, ci], 'float32'));
  const srcs = ys.map((y) => scope.backend.typedArrayFromHeap(y) as Float32Array);
  const dst = scope.backend.typedArrayFromHeap(out) as Float32Array;
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let ih = 0; ih < h; ih++) {
      const phi = ih % sh;
      const m = (ih - phi) / sh;
      for (let iw = 0; iw < w; iw++) {
        const psi = iw % sw;
        const k = phi * sw + psi;
        const [, yh, yw] = ys[k].shape;
        const s0 = ((b * yh + m) * yw + (iw - psi) / sw) * ci;
        const src = srcs[k];
        if (ci >= 16) {
          dst.set(src.subarray(s0, s0 + ci), d);
          d += ci;
        } else {
          for (let c = 0; c < ci; c++) dst[d++] = src[s0 + c];
        }
      }
    }
  }
  return out;
}

/**
 * dx[n, s_h·m + φ, s_w·m' + ψ, c] = y[n, off_h[φ] + m, off_w[ψ] + m', (r_h[φ]·s_w + r_w[ψ])·Ci + c], cropped
 * to dx's size. One pass over dx in JS on the wasm heap (the backend's own Slice/Concat are JS loops
 * too, and chaining s² slices + concat + DepthToSpace would copy dx three times).
 */
function interleavePhases(scope: WasmScope, y: TensorInfo, ph: AxisPlan, pw: AxisPlan, dxShape: number[]): TensorInfo {
  const [n, h, w, ci] = dxShape;
  const [, yh, yw, yc] = y.shape;
  if (ph.s === 1 && pw.s === 1 && ph.offset[0] === 0 && pw.offset[0] === 0 && yh === h && yw === w) return y;
  const out = scope.adopt(scope.backend.makeOutput([n, h, w, ci], 'float32'));
  const src = scope.backend.typedArrayFromHeap(y) as Float32Array;
  const dst = scope.backend.typedArrayFromHeap(out) as Float32Array;
  const rowStride = yw * yc;
  const batchStride = yh * rowStride;
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let ih = 0; ih < h; ih++) {
      const phi = ih % ph.s;
      const m = (ih - phi) / ph.s;
      const rowBase = b * batchStride + (ph.offset[phi] + m) * rowStride + ph.residue[phi] * pw.s * ci;
      for (let iw = 0; iw < w; iw++) {
        const psi = iw % pw.s;
        const mm = (iw - psi) / pw.s;
        const s0 = rowBase + (pw.offset[psi] + mm) * yc + pw.residue[psi] * ci;
        if (ci >= 16) {
          dst.set(src.subarray(s0, s0 + ci), d);
          d += ci;
        } else {
          for (let c = 0; c < ci; c++) dst[d++] = src[s0 + c];
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// UnsortedSegmentSum (gradient of tf.gather)
// ---------------------------------------------------------------------------------------------------------

/**
 * out[s, …] = Σ_{i : ids[i] = s} x[i, …], ids outside [0, numSegments) dropped (TensorFlow semantics).
 * A scatter-add over the wasm heap in one pass; it only ever runs on the small text/keypoint tensors.
 */
function unsortedSegmentSum(args: KernelArgs<{ numSegments: number }>): TensorInfo {
  const { backend, attrs } = args;
  const { x, segmentIds } = args.inputs;
  const numSegments = attrs.numSegments;
  const idRank = segmentIds.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) {
      throw new GawwnError(`UnsortedSegmentSum: segmentIds shape ${JSON.stringify(segmentIds.shape)} is not a prefix of x shape ${JSON.stringify(x.shape)}`);
    }
  }
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const inner = tf.util.sizeFromShape(x.shape.slice(idRank));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < rows; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const a = i * inner;
    const b = s * inner;
    for (let j = 0; j < inner; j++) o[b + j] += xs[a + j];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Tile
// ---------------------------------------------------------------------------------------------------------

/**
 * out[i] = x[i mod shape] with out shape = shape·reps. The backend's kernel computes an index per element
 * (measured 25 ms for [1,1,1,64] -> [16,16,16,64], which batch-norm's gradient in tfjs-core does once per
 * BN layer); here, per axis from the innermost out, one block is copied and then replicated with
 * `copyWithin` (memmove), so the work is out-size bytes of bulk copies. Numeric dtypes only.
 */
function tile(args: KernelArgs<{ reps: number[] }>): TensorInfo {
  const { backend, attrs } = args;
  const { x } = args.inputs;
  if (x.dtype === 'string') return native('Tile')(args as unknown as Parameters<WasmKernelFunc>[0]) as TensorInfo;
  const shape = x.shape;
  const reps = attrs.reps;
  const r = shape.length;
  const outShape = shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  if (r === 0) {
    dst.set(src);
    return out;
  }
  // Block sizes: xInner[d] = Π shape[d+1..], outInner[d] = Π outShape[d+1..].
  const xInner = new Array<number>(r).fill(1);
  const outInner = new Array<number>(r).fill(1);
  for (let d = r - 2; d >= 0; d--) {
    xInner[d] = xInner[d + 1] * shape[d + 1];
    outInner[d] = outInner[d + 1] * outShape[d + 1];
  }
  const fill = (d: number, xOff: number, outOff: number): void => {
    const block = shape[d] * outInner[d];
    if (d === r - 1) {
      dst.set(src.subarray(xOff, xOff + shape[d]), outOff);
    } else {
      for (let i = 0; i < shape[d]; i++) fill(d + 1, xOff + i * xInner[d], outOff + i * outInner[d]);
    }
    // Replicate the filled block reps[d] − 1 times, doubling the copied span each time.
    let have = 1;
    while (have < reps[d]) {
      const n = Math.min(have, reps[d] - have);
      dst.copyWithin(outOff + have * block, outOff, outOff + n * block);
      have += n;
    }
  };
  fill(0, 0, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// BatchMatMul / _FusedMatMul with transposed operands
// ---------------------------------------------------------------------------------------------------------

/**
 * The wasm backend's matmuls take XNNPACK's fast path only without transposeA/transposeB; with either set
 * they fall to a loop 15–40× slower (measured: [16,512]·[1024,512]ᵀ 15–25 ms vs 1 ms untransposed;
 * [16,1024]ᵀ·[16,512] 50 ms). Every dense layer's backward pass and the spatial transformer's gradient
 * use transposed matmuls (tfjs-core's MatMul gradients), so transpose explicitly (O(size) copies) and run
 * the untransposed kernel. For BatchMatMul, whichever is fewer elements to copy: the flagged operand(s),
 * or (using (A·B)ᵀ = Bᵀ·Aᵀ) the other operand and the product; e.g. a dense layer's
 * dx = dy·Wᵀ becomes (W·dyᵀ)ᵀ, copying dy and dx (batch-sized) rather than W.
 * _FusedMatMul adds a bias along the product's last axis, so it always transposes the operands.
 */
function untransposedMatMul(name: 'BatchMatMul' | '_FusedMatMul') {
  return (args: KernelArgs<{ transposeA: boolean; transposeB: boolean } & Record<string, unknown>>): TensorInfo => {
    const { backend, attrs } = args;
    const own = native(name);
    const { transposeA: tA, transposeB: tB } = attrs;
    if (!tA && !tB) return own(args as unknown as Parameters<WasmKernelFunc>[0]) as TensorInfo;
    const scope = new WasmScope(backend);
    let out: TensorInfo | null = null;
    try {
      const swapLast = (t: TensorInfo) => {
        const perm = t.shape.map((_, i) => i);
        const r = perm.length;
        [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
        return scope.transpose(t, perm);
      };
      const { a, b } = args.inputs;
      const size = (t: TensorInfo) => tf.util.sizeFromShape(t.shape);
      const m = tA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
      const n = tB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
      const batch = size(a) / (a.shape[a.shape.length - 1] * a.shape[a.shape.length - 2]);
      const batchB = size(b) / (b.shape[b.shape.length - 1] * b.shape[b.shape.length - 2]);
      const outSize = Math.max(batch, batchB) * m * n;
      const direct = (tA ? size(a) : 0) + (tB ? size(b) : 0);
      const swapped = (tA ? 0 : size(a)) + (tB ? 0 : size(b)) + outSize;
      if (name === '_FusedMatMul' || direct <= swapped) {
        const a2 = tA ? swapLast(a) : a;
        const b2 = tB ? swapLast(b) : b;
        out = own({ inputs: { ...args.inputs, a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
        return out;
      }
      // C = op(A)·op(B)  ⇔  Cᵀ = op(B)ᵀ·op(A)ᵀ, where op(B)ᵀ is b itself when tB, and op(A)ᵀ is a when tA.
      const left = tB ? b : swapLast(b);
      const right = tA ? a : swapLast(a);
      const cT = scope.adopt(own({ inputs: { a: left, b: right }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo);
      out = swapLast(cT);
      return out;
    } finally {
      scope.done(out);
    }
  };
}
