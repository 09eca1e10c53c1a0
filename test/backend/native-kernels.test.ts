/**
 * The native kernels (src/backend/native) against the cpu backend: every overridden kernel, forward and
 * gradient, on the layer shapes GAWWN uses (gawwn-reference §2–§4: 4×4 s2 p1, 3×3 s1 p1, 1×1, 4×4 s1 valid and
 * the transposed convolutions of the same), matmul with transposes and broadcasting, fused bias+activation,
 * the memory-bound kernels (Tile, Sum/Mean, LeakyRelu/Greater/Select, batch norm, Concat/SplitV), wasm-heap
 * growth, bounds checks and leaks. Each comparison also checks that the native path (not a fallback) ran.
 * Skipped only when the addon is not built.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Rng } from '../../src/util/rng.js';
import { adam } from '../../src/training/adam.js';
import {
  loadNativeKernels, registerNativeKernels, unregisterNativeKernels, nativeAddon, nativeKernelsRegistered,
  NATIVE_KERNEL_NAMES, ADAM_KERNEL, nativeAdamUpdate, setNativeLibrary, openblasCoreFor, setRuntimeEnvironment, type NativeLoadResult,
} from '../../src/backend/native/native-kernels.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
require('@tensorflow/tfjs-backend-wasm');

let loaded: NativeLoadResult = { ok: false, reason: 'not loaded yet' };

before(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  loaded = loadNativeKernels({ threads: 2 });
  if (loaded.ok) {
    registerNativeKernels();
    // Two loop threads (the default is one), so the cases sized to be split across threads are split.
    nativeAddon()?.setLoopThreads(2);
  }
});

after(() => {
  if (loaded.ok) unregisterNativeKernels();
});

interface Input { shape: number[]; data: Float32Array }
type Fn = (xs: tf.Tensor[]) => tf.Tensor;

function input(rng: Rng, shape: number[]): Input {
  return { shape, data: rng.normalArray(shape.reduce((p, d) => p * d, 1)) };
}

/** y = f(xs) and, when asked, d(sum(y ⊙ r))/dxs for a fixed random r, on the given backend. */
async function evaluate(backend: string, f: Fn, inputs: Input[], grads: boolean, seed: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
    const y = f(xs);
    const r = tf.tensor(new Rng(seed).normalArray(y.size), y.shape);
    const res = [y];
    if (grads) res.push(...tf.grads((...a: tf.Tensor[]) => f(a).mul(r).sum())(xs));
    return res;
  });
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return data;
}

/** |got − want| ≤ rtol·(|want| + max|want|): relative to the tensor's scale, so cancellations don't flake. */
function assertClose(got: Float32Array, want: Float32Array, what: string, rtol = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  assert.ok(scale > 0, `${what}: reference is all zeros`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= rtol * (Math.abs(want[i]) + scale))) {
      assert.fail(`${what}: element ${i} is ${got[i]}, cpu gives ${want[i]} (|err| ${err}, scale ${scale})`);
    }
  }
}

/** Counts calls into the addon while `body` runs (proves the native path, not a fallback, ran). */
async function countingAddonCalls<T>(body: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
  const addon = nativeAddon() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'batchMatMul', 'tile', 'reduceMiddle',
    'leakyRelu', 'greater', 'select', 'batchNorm', 'concatRows', 'binary', 'tanh'];
  const calls: Record<string, number> = {};
  const saved = names.map((n) => addon[n]);
  names.forEach((n, i) => {
    calls[n] = 0;
    addon[n] = (...a: unknown[]) => { calls[n]++; return saved[i](...a); };
  });
  try {
    return { result: await body(), calls };
  } finally {
    names.forEach((n, i) => { addon[n] = saved[i]; });
  }
}

async function compare(t: { skip: (m: string) => void }, name: string, f: Fn, inputs: Input[], grads: boolean,
  expectCalls: string[], rtol = 1e-4): Promise<boolean> {
  if (!loaded.ok) { t.skip(`native addon not available: ${loaded.reason}`); return false; }
  const want = await evaluate('cpu', f, inputs, grads, 99);
  const { result: got, calls } = await countingAddonCalls(() => evaluate('wasm', f, inputs, grads, 99));
  const labels = ['y', ...inputs.map((_, i) => `d/dx${i}`)];
  got.forEach((g, i) => assertClose(g, want[i], `${name} ${labels[i]}`, rtol));
  for (const c of expectCalls) assert.ok(calls[c] > 0, `${name}: native ${c} was not called (${JSON.stringify(calls)})`);
  return true;
}

type Library = 'onednn' | 'openblas';

/**
 * Registers `body` once per native library (oneDNN convolutions + GEMM, and im2col + OpenBLAS sgemm), so both
 * paths are checked against the cpu backend; a library the addon was built without is skipped. With oneDNN
 * it also checks that oneDNN, not the im2col fallback, ran every convolution when `onednnConvs` is set.
 */
function libTest(name: string, body: (t: { skip: (m: string) => void }) => Promise<unknown>, opts: { onednnConvs?: boolean } = {}): void {
  for (const lib of ['onednn', 'openblas'] as const) {
    test(`[${lib}] ${name}`, async (t) => {
      if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
      if ((lib === 'onednn' ? loaded.onednn : loaded.openblas) === '') return t.skip(`addon built without ${lib}`);
      const addon = nativeAddon();
      assert.ok(addon !== null);
      const before = addon.info().onednnConvs;
      setNativeLibrary(lib, lib);
      try {
        await body(t);
      } finally {
        const dflt: Library = loaded.onednn !== '' ? 'onednn' : 'openblas';
        setNativeLibrary(dflt, dflt);
      }
      const ran = addon.info().onednnConvs - before;
      if (lib === 'openblas') assert.equal(ran, 0, 'oneDNN ran a convolution while the OpenBLAS path was chosen');
      else if (opts.onednnConvs === true) assert.ok(ran > 0, 'oneDNN ran no convolution');
    });
  }
}

type Pad = 'valid' | 'same' | tf.backend_util.ExplicitPadding;
const P1: Pad = [[0, 0], [1, 1], [1, 1], [0, 0]];
// gemm: every convolution of the case is a plain GEMM (1×1, or a single output pixel), which the addon runs
// through sgemm rather than oneDNN's convolution kernels whichever library is chosen.
const CONVS: { name: string; x: number[]; w: number[]; s: number; pad: Pad; gemm?: true }[] = [
  { name: '4x4 s2 same', x: [2, 8, 8, 3], w: [4, 4, 3, 5], s: 2, pad: 'same' },
  { name: '4x4 s2 p1 (explicit)', x: [2, 8, 8, 3], w: [4, 4, 3, 5], s: 2, pad: P1 },
  { name: '3x3 s1 p1', x: [2, 7, 6, 4], w: [3, 3, 4, 6], s: 1, pad: P1 },
  { name: '1x1 s1', x: [2, 5, 5, 7], w: [1, 1, 7, 3], s: 1, pad: 'valid', gemm: true },
  { name: '4x4 s1 valid', x: [2, 6, 6, 3], w: [4, 4, 3, 4], s: 1, pad: 'valid' },
  { name: '3x3 s2 valid, odd sizes', x: [3, 9, 7, 2], w: [3, 3, 2, 3], s: 2, pad: 'valid' },
  { name: '1x1 s2', x: [2, 6, 6, 3], w: [1, 1, 3, 2], s: 2, pad: 'valid' },
  { name: '4x4 s2 p1 on 32x32 (im2col split across threads)', x: [2, 32, 32, 3], w: [4, 4, 3, 4], s: 2, pad: P1 },
  { name: '3x3 asymmetric explicit pad', x: [2, 5, 6, 2], w: [3, 3, 2, 3], s: 1, pad: [[0, 0], [0, 2], [1, 0], [0, 0]] },
];

for (const c of CONVS) {
  libTest(`conv2d ${c.name}: forward, dx (Conv2DBackpropInput), dw (Conv2DBackpropFilter) match cpu`, async (t) => {
    const rng = new Rng(1);
    await compare(t, `conv2d ${c.name}`, ([x, w]) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad),
      [input(rng, c.x), input(rng, c.w)], true, ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter']);
  }, { onednnConvs: c.gemm !== true });
}

libTest('conv2d with dilation 2 (forward) matches cpu', async (t) => {
  const rng = new Rng(2);
  await compare(t, 'dilated conv', ([x, w]) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2),
    [input(rng, [2, 9, 9, 2]), input(rng, [3, 3, 2, 3])], false, ['conv2d']);
}, { onednnConvs: true });

// Transposed convolutions as GAWWN's generators use them (ConvT k s p = conv2dTranspose with the same geometry).
const DECONVS: { name: string; x: number[]; w: number[]; out: number[]; s: number; pad: Pad; gemm?: true }[] = [
  { name: '4x4 s2 same', x: [2, 4, 4, 5], w: [4, 4, 3, 5], out: [2, 8, 8, 3], s: 2, pad: 'same' },
  { name: '4x4 s2 p1 (explicit)', x: [2, 4, 4, 5], w: [4, 4, 3, 5], out: [2, 8, 8, 3], s: 2, pad: P1 },
  { name: '3x3 s1 p1', x: [2, 6, 5, 4], w: [3, 3, 5, 4], out: [2, 6, 5, 5], s: 1, pad: P1 },
  { name: '4x4 s1 valid (1x1 -> 4x4)', x: [2, 1, 1, 6], w: [4, 4, 3, 6], out: [2, 4, 4, 3], s: 1, pad: 'valid', gemm: true },
  { name: '1x1', x: [2, 5, 5, 4], w: [1, 1, 3, 4], out: [2, 5, 5, 3], s: 1, pad: 'valid', gemm: true },
];

for (const c of DECONVS) {
  libTest(`conv2dTranspose ${c.name}: forward and both gradients match cpu`, async (t) => {
    const rng = new Rng(3);
    await compare(t, `conv2dTranspose ${c.name}`,
      ([x, w]) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, c.out as [number, number, number, number], c.s, c.pad),
      [input(rng, c.x), input(rng, c.w)], true, ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter']);
  }, { onednnConvs: c.gemm !== true });
}

const ACTS = ['linear', 'relu', 'relu6', 'leakyrelu', 'elu', 'sigmoid', 'prelu'] as const;
for (const act of ACTS) {
  // tfjs can differentiate fused ops only for some activations; the rest are checked forward.
  const grads = act === 'linear' || act === 'relu' || act === 'elu' || act === 'relu6' || act === 'prelu';
  libTest(`fused conv2d + bias + ${act} matches cpu${grads ? ' (with gradients)' : ''}`, async (t) => {
    const rng = new Rng(4);
    await compare(t, `fused conv ${act}`, ([x, w, b, p]) => tf.fused.conv2d({
      x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: P1, bias: b, activation: act,
      preluActivationWeights: act === 'prelu' ? p : undefined, leakyreluAlpha: 0.2,
    }), [input(rng, [2, 8, 8, 3]), input(rng, [4, 4, 3, 5]), input(rng, [5]), ...(act === 'prelu' ? [input(rng, [5])] : [])],
    grads, ['conv2d']);
  }, { onednnConvs: act !== 'prelu' });
  libTest(`fused matMul + bias + ${act} matches cpu${grads ? ' (with gradients)' : ''}`, async (t) => {
    const rng = new Rng(5);
    await compare(t, `fused matMul ${act}`, ([a, b, bias, p]) => tf.fused.matMul({
      a, b, bias, activation: act, preluActivationWeights: act === 'prelu' ? p : undefined, leakyreluAlpha: 0.2,
    }), [input(rng, [6, 7]), input(rng, [7, 4]), input(rng, [4]), ...(act === 'prelu' ? [input(rng, [4])] : [])],
    grads, ['batchMatMul']);
  });
}

// tfjs 4.22 cannot differentiate a batch-broadcast matMul (its BatchMatMul gradient keeps the broadcast
// shape), so the broadcast cases are compared forward only.
libTest('fused conv2d + bias + leakyrelu on a larger map (epilogue split across threads) matches cpu', async (t) => {
  const rng = new Rng(13);
  await compare(t, 'fused conv big', ([x, w, b]) => tf.fused.conv2d({
    x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'leakyrelu', leakyreluAlpha: 0.2,
  }), [input(rng, [2, 32, 32, 3]), input(rng, [3, 3, 3, 32]), input(rng, [32])], false, ['conv2d']);
}, { onednnConvs: true });

const MATMULS: { name: string; a: number[]; b: number[]; tA: boolean; tB: boolean; grads?: false }[] = [
  { name: '2-D', a: [5, 7], b: [7, 3], tA: false, tB: false },
  { name: '2-D transposeA', a: [7, 5], b: [7, 3], tA: true, tB: false },
  { name: '2-D transposeB', a: [5, 7], b: [3, 7], tA: false, tB: true },
  { name: '2-D both transposed', a: [7, 5], b: [3, 7], tA: true, tB: true },
  { name: 'batched', a: [3, 4, 5], b: [3, 5, 2], tA: false, tB: false },
  { name: 'batched, transposes', a: [3, 5, 4], b: [3, 2, 5], tA: true, tB: true },
  { name: 'broadcast b', a: [3, 4, 5], b: [5, 2], tA: false, tB: false, grads: false },
  { name: 'broadcast a', a: [4, 5], b: [3, 5, 2], tA: false, tB: false, grads: false },
  { name: 'rank 4', a: [2, 3, 4, 5], b: [2, 3, 5, 6], tA: false, tB: false },
];

for (const c of MATMULS) {
  libTest(`matMul ${c.name}: forward${c.grads === false ? '' : ' and gradients'} match cpu`, async (t) => {
    const rng = new Rng(6);
    await compare(t, `matMul ${c.name}`, ([a, b]) => tf.matMul(a, b, c.tA, c.tB),
      [input(rng, c.a), input(rng, c.b)], c.grads !== false, ['batchMatMul']);
  });
}

test('matMul with axis-wise batch broadcast [3,1,2,4]x[1,3,4,5] equals the per-batch products', async (t) => {
  // tfjs 4.22's cpu and wasm BatchMatMul both get this case wrong (they treat it as 3 batches), so the
  // reference is the definition: out[i,j] = a[i,0] · b[0,j].
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  await tf.setBackend('wasm');
  const rng = new Rng(10);
  const av = rng.normalArray(3 * 2 * 4), bv = rng.normalArray(3 * 4 * 5);
  const a = tf.tensor(av, [3, 1, 2, 4]), b = tf.tensor(bv, [1, 3, 4, 5]);
  const y = tf.matMul(a, b);
  assert.deepEqual(y.shape, [3, 3, 2, 5]);
  const got = y.dataSync() as Float32Array;
  tf.dispose([a, b, y]);
  const want = new Float32Array(3 * 3 * 2 * 5);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let r = 0; r < 2; r++) for (let c = 0; c < 5; c++) {
    let acc = 0;
    for (let k = 0; k < 4; k++) acc += av[i * 8 + r * 4 + k] * bv[j * 20 + k * 5 + c];
    want[((i * 3 + j) * 2 + r) * 5 + c] = acc;
  }
  assertClose(got, want, 'axis-wise broadcast matMul');
});

const TILES: { x: number[]; reps: number[] }[] = [
  { x: [1, 1, 1, 5], reps: [2, 3, 4, 1] }, // batch-norm gradient: per-channel vector to the activation shape
  { x: [2, 3, 1, 4], reps: [1, 1, 3, 2] },
  { x: [3, 2], reps: [2, 3] },
  { x: [7], reps: [3] },
  { x: [2, 1, 3], reps: [1, 4, 1] },
];
for (const c of TILES) {
  test(`tile [${c.x}] by [${c.reps}]: forward and gradient match cpu`, async (t) => {
    await compare(t, `tile ${c.x}`, ([x]) => tf.tile(x, c.reps), [input(new Rng(11), c.x)], true, ['tile']);
  });
}

test('tile of int32 and bool tensors matches cpu', async (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => [
      Array.from(tf.tile(tf.tensor([[1, -2, 3]], [1, 3], 'int32'), [2, 2]).dataSync()),
      Array.from(tf.tile(tf.tensor([[true, false]], [1, 2], 'bool'), [3, 1]).dataSync()),
    ]);
  };
  const want = await run('cpu');
  const { result: got, calls } = await countingAddonCalls(() => run('wasm'));
  assert.deepEqual(got, want);
  assert.deepEqual(want[0], [1, -2, 3, 1, -2, 3, 1, -2, 3, 1, -2, 3]);
  assert.equal(calls.tile, 2);
});

const REDUCES: { x: number[]; axes: number | number[]; keepDims: boolean; native: boolean }[] = [
  { x: [4, 6, 5, 7], axes: [0, 1, 2], keepDims: false, native: true }, // batch-norm statistics (NHWC)
  { x: [4, 6, 5, 7], axes: [0, 1, 2], keepDims: true, native: true },
  { x: [4, 6, 5, 7], axes: [1, 2], keepDims: false, native: true }, // spatial mean
  { x: [4, 6, 5, 7], axes: -1, keepDims: true, native: true },
  { x: [6, 9], axes: 0, keepDims: false, native: true },
  { x: [4, 6, 5, 7], axes: [0, 1, 2, 3], keepDims: false, native: true },
  { x: [64, 32, 32, 16], axes: [0, 1, 2], keepDims: false, native: true }, // long sums, split across threads
  { x: [4, 6, 5, 7], axes: [0, 2], keepDims: false, native: false }, // non-contiguous: wasm's kernel
];
for (const c of REDUCES) {
  for (const op of ['sum', 'mean'] as const) {
    test(`${op} of [${c.x}] over ${JSON.stringify(c.axes)}${c.keepDims ? ' (keepDims)' : ''}: forward and gradient match cpu`, async (t) => {
      const f: Fn = ([x]) => (op === 'sum' ? tf.sum(x, c.axes, c.keepDims) : tf.mean(x, c.axes, c.keepDims));
      const ok = await compare(t, `${op} ${c.x}`, f, [input(new Rng(12), c.x)], true, c.native ? ['reduceMiddle'] : []);
      if (ok && !c.native) {
        const { calls } = await countingAddonCalls(async () => { tf.tidy(() => f([tf.ones(c.x)]).dataSync()); });
        assert.equal(calls.reduceMiddle, 0, 'non-contiguous axes should go to the wasm kernel');
      }
    });
  }
}

test('leakyRelu forward and gradient (Greater with a scalar, Select) match cpu', async (t) => {
  await compare(t, 'leakyRelu', ([x]) => tf.leakyRelu(x, 0.2), [input(new Rng(14), [2, 9, 7, 5])], true,
    ['leakyRelu', 'greater', 'select']);
});

test('greater and where on same-shape tensors, and their broadcasting fallbacks, match cpu', async (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  const rng = new Rng(15);
  const a = rng.normalArray(60), b = rng.normalArray(60), c = rng.normalArray(5), cond = [true, false, true, true, false];
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const ta = tf.tensor(a, [3, 4, 5]), tb = tf.tensor(b, [3, 4, 5]);
      const same = tf.greater(ta, tb);
      return [
        Array.from(same.dataSync()),
        Array.from(tf.where(same, ta, tb).dataSync()),
        Array.from(tf.greater(ta, tf.tensor(c, [5])).dataSync()), // broadcast: wasm's kernel
        Array.from(tf.where(tf.tensor(cond, [1, 1, 5], 'bool'), ta, tb).dataSync()), // where broadcasts, then Select
      ];
    });
  };
  const want = await run('cpu');
  const { result: got, calls } = await countingAddonCalls(() => run('wasm'));
  assert.deepEqual(got, want);
  assert.deepEqual(want[0], Array.from(a, (v, i) => (v > b[i] ? 1 : 0)));
  assert.equal(calls.greater, 1, 'only the same-shape greater is native');
  assert.equal(calls.select, 2, 'tf.where broadcasts before Select, so both are native');
});

test('batch norm in training form (moments + batchNorm) forward and gradients match cpu', async (t) => {
  const rng = new Rng(16);
  await compare(t, 'batchNorm', ([x, g, b]) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, b, g, 1e-5);
  }, [input(rng, [4, 6, 5, 7]), input(rng, [7]), input(rng, [7])], true, ['batchNorm', 'reduceMiddle']);
});

test('batchNorm with keepDims statistics [1,1,1,C], no offset/scale, matches cpu', async (t) => {
  await compare(t, 'batchNorm keepDims', ([x]) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2], true);
    return tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3);
  }, [input(new Rng(17), [3, 4, 4, 6])], false, ['batchNorm']);
});

const CONCATS: { shapes: number[][]; axis: number }[] = [
  { shapes: [[2, 4, 4, 3], [2, 4, 4, 5], [2, 4, 4, 1]], axis: 3 }, // channel concat (merge layers)
  { shapes: [[2, 3, 4, 3], [2, 1, 4, 3]], axis: 1 },
  { shapes: [[2, 5], [3, 5]], axis: 0 },
  { shapes: [[4, 2], [4, 7]], axis: -1 },
];
for (const c of CONCATS) {
  test(`concat of ${JSON.stringify(c.shapes)} on axis ${c.axis}: forward and gradients (SplitV) match cpu`, async (t) => {
    const rng = new Rng(18);
    await compare(t, 'concat', (xs) => tf.concat(xs, c.axis), c.shapes.map((sh) => input(rng, sh)), true, ['concatRows']);
  });
}

test('split into sizes (with -1) and into equal parts, and int32 concat, match cpu', async (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  const data = new Rng(19).normalArray(2 * 3 * 8);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.tensor(data, [2, 3, 8]);
      return [
        ...tf.split(x, [2, -1, 1], 2).map((p) => ({ shape: p.shape, v: Array.from(p.dataSync()) })),
        ...tf.split(x, 3, 1).map((p) => ({ shape: p.shape, v: Array.from(p.dataSync()) })),
        { shape: [0], v: Array.from(tf.concat([tf.tensor([[1, 2]], [1, 2], 'int32'), tf.tensor([[3], [4]].slice(0, 1), [1, 1], 'int32')], 1).dataSync()) },
      ];
    });
  };
  const want = await run('cpu');
  const { result: got, calls } = await countingAddonCalls(() => run('wasm'));
  assert.deepEqual(got, want);
  assert.deepEqual(want[want.length - 1].v, [1, 2, 3]);
  assert.equal(calls.concatRows, 3);
});

libTest('a GAWWN-like layer (ConvT 4 s2 p1, 8x8x64 -> 16x16x32, batch 2) matches cpu', async (t) => {
  const rng = new Rng(7);
  await compare(t, 'GAWWN ConvT',
    ([x, w]) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 16, 16, 32], 2, P1),
    [input(rng, [2, 8, 8, 64]), input(rng, [4, 4, 32, 64])], true, ['conv2dBackpropInput', 'conv2d', 'conv2dBackpropFilter']);
}, { onednnConvs: true });

test('the fused native Adam update is bit-identical to tf.train.adam on the cpu backend over 4 steps', async (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  // Sizes: one value, an odd vector, a matrix, and one above the addon's per-thread split (1 << 17).
  const sizes = [[1], [37], [64, 33], [300, 1000]];
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const rng = new Rng(21);
    const vars = sizes.map((s, k) => tf.variable(tf.tensor(rng.normalArray(s.reduce((p, d) => p * d, 1)), s), true, `adam_${backend}_${k}`));
    const opt = backend === 'cpu' ? tf.train.adam(2e-4, 0.5, 0.999, 1e-8) : adam(2e-4, 0.5, 0.999, 1e-8);
    for (let step = 0; step < 4; step++) {
      const grads: tf.NamedTensorMap = {};
      vars.forEach((v, k) => { grads[v.name] = tf.tensor(new Rng(100 + 10 * step + k).normalArray(v.size), v.shape); });
      opt.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
      tf.dispose(Object.values(grads));
    }
    const out = vars.map((v) => Array.from(v.dataSync()));
    const moments = (await opt.getWeights()).slice(1).map((w) => Array.from(w.tensor.dataSync()));
    opt.dispose();
    tf.dispose(vars);
    return [...out, ...moments];
  };
  const want = await run('cpu');
  let calls = 0;
  const kernel = tf.getKernel(ADAM_KERNEL, 'wasm');
  assert.ok(kernel !== undefined, 'fused Adam kernel is registered');
  tf.unregisterKernel(ADAM_KERNEL, 'wasm');
  tf.registerKernel({ ...kernel, kernelFunc: (args) => { calls++; return kernel.kernelFunc(args); } });
  try {
    const got = await run('wasm');
    assert.equal(calls, 4 * sizes.length);
    assert.equal(got.length, want.length);
    got.forEach((g, i) => assert.deepEqual(g, want[i], `tensor ${i} differs`));
  } finally {
    tf.unregisterKernel(ADAM_KERNEL, 'wasm');
    tf.registerKernel(kernel);
  }
});

test('nativeAdamUpdate declines what it does not cover (int32, other backend)', async (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  await tf.setBackend('wasm');
  const one = tf.scalar(0.5);
  const f = tf.ones([3]), i = tf.ones([3], 'int32');
  assert.equal(nativeAdamUpdate(i, f, f, f, one, one, 0.9, 0.999, 1e-3, 1e-8), null);
  const r = nativeAdamUpdate(f, f, f, f, one, one, 0.9, 0.999, 1e-3, 1e-8);
  assert.ok(r !== null);
  tf.dispose([...r, one, f, i]);
  await tf.setBackend('cpu');
  const c = tf.ones([3]), s = tf.scalar(0.5);
  assert.equal(nativeAdamUpdate(c, c, c, c, s, s, 0.9, 0.999, 1e-3, 1e-8), null);
  tf.dispose([c, s]);
  await tf.setBackend('wasm');
});

// Element-wise add/sub/mul/div: the native cases (same shape, one value, a trailing-dims vector such as a
// per-channel scale against NHWC) and broadcasts that go to wasm's kernel, forward and gradients.
const BINARIES: { a: number[]; b: number[]; native: boolean }[] = [
  { a: [2, 3, 4, 5], b: [2, 3, 4, 5], native: true },
  { a: [2, 3, 4, 5], b: [5], native: true },
  { a: [5], b: [2, 3, 4, 5], native: true },
  { a: [2, 3, 4, 5], b: [1, 1, 1, 5], native: true },
  { a: [2, 3, 4, 5], b: [4, 5], native: true },
  { a: [], b: [2, 3, 4, 5], native: true },
  { a: [300, 500], b: [1], native: true }, // long enough to be split across threads
  { a: [1, 9000], b: [1, 9000], native: true }, // one long row, split into blocks with a tail
  { a: [2, 3, 4, 5], b: [2, 1, 1, 5], native: false }, // per-image-and-channel: wasm's kernel
  { a: [6, 1], b: [6, 7], native: false },
];
const OPS: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
];
for (const c of BINARIES) {
  for (const [name, f] of OPS) {
    test(`${name} of [${c.a}] and [${c.b}]: forward and gradients match cpu (${c.native ? 'native' : 'wasm fallback'})`, async (t) => {
      const rng = new Rng(31);
      const ok = await compare(t, `${name} [${c.a}] [${c.b}]`, ([a, b]) => f(a, b), [input(rng, c.a), input(rng, c.b)], true,
        c.native ? ['binary'] : []);
      if (!ok || c.native) return;
      // A fallback case: the native kernel must not have produced the forward result.
      const { calls } = await countingAddonCalls(async () => {
        await tf.setBackend('wasm');
        tf.tidy(() => f(tf.ones(c.a), tf.ones(c.b)).dataSync());
      });
      assert.equal(calls.binary, name === 'div' ? 1 : 0); // div's |b| + 0.5 is a native scalar add
    });
  }
}

test('int32 add and mul go to wasm and match cpu', async (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => [Array.from(tf.add(tf.tensor([1, 2, 3], [3], 'int32'), tf.scalar(4, 'int32')).dataSync()),
      Array.from(tf.mul(tf.tensor([1, -2, 3], [3], 'int32'), tf.tensor([2, 2, 2], [3], 'int32')).dataSync())]);
  };
  const want = await run('cpu');
  const { result: got, calls } = await countingAddonCalls(() => run('wasm'));
  assert.deepEqual(got, want);
  assert.deepEqual(want, [[5, 6, 7], [2, -4, 6]]);
  assert.equal(calls.binary, 0);
});

test('tanh forward and gradient match cpu (native)', async (t) => {
  await compare(t, 'tanh', ([x]) => tf.tanh(x.mul(2)), [input(new Rng(32), [2, 16, 16, 3])], true, ['tanh'], 1e-5);
});

test('OpenBLAS core type is chosen from the CPU flags; a user setting is kept', () => {
  const avx512 = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd', 'avx2', 'fma'];
  assert.equal(openblasCoreFor(new Set(avx512)), 'SkylakeX');
  assert.equal(openblasCoreFor(new Set([...avx512, 'avx512_bf16'])), 'Cooperlake');
  assert.equal(openblasCoreFor(new Set(['avx2', 'fma', 'sse4_2'])), 'Haswell');
  assert.equal(openblasCoreFor(new Set(['avx512f', 'avx2'])), undefined); // partial AVX-512 and no FMA: leave it to OpenBLAS
  assert.equal(openblasCoreFor(new Set()), undefined);
  const env: NodeJS.ProcessEnv = {};
  setRuntimeEnvironment(env, new Set(avx512));
  assert.deepEqual(env, { OPENBLAS_CORETYPE: 'SkylakeX', OMP_WAIT_POLICY: 'passive' });
  const mine: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Haswell', OMP_WAIT_POLICY: 'active' };
  setRuntimeEnvironment(mine, new Set(avx512));
  assert.deepEqual(mine, { OPENBLAS_CORETYPE: 'Haswell', OMP_WAIT_POLICY: 'active' });
});

test('setNativeLibrary refuses a library the addon was built without', (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  if (loaded.onednn !== '' && loaded.openblas !== '') return t.skip('addon has both libraries');
  const missing: Library = loaded.onednn === '' ? 'onednn' : 'openblas';
  assert.throws(() => setNativeLibrary(missing, missing), /no (oneDNN|OpenBLAS)/);
});

test('outputs are read from the heap after it grows (memory.grow replaces the ArrayBuffer)', async (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
  const before = backend.wasm.HEAPU8.buffer.byteLength;
  // A 1×1 conv whose output alone is bigger than the whole current heap forces a grow inside makeOutput.
  const hw = 512, co = Math.ceil(before / (4 * hw * hw)) + 1;
  const x = tf.tensor(new Rng(8).normalArray(hw * hw), [1, hw, hw, 1]);
  const wv = Array.from({ length: co }, (_, i) => i - 1.5);
  const w = tf.tensor(wv, [1, 1, 1, co]);
  const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid');
  const after = backend.wasm.HEAPU8.buffer.byteLength;
  const xs = x.dataSync(), ys = y.dataSync();
  tf.dispose([x, w, y]);
  assert.ok(after > before, `heap did not grow (${before} -> ${after})`);
  for (let p = 0; p < hw * hw; p += 997) {
    for (let c = 0; c < co; c++) assert.equal(ys[p * co + c], Math.fround(xs[p] * wv[c]));
  }
});

test('the addon rejects regions outside the heap instead of touching memory', (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  const addon = nativeAddon()!;
  const heap = new Float32Array(64);
  // x would be 2·8·8·3 floats, far more than the 64-float heap.
  const geom = [2, 8, 8, 3, 4, 4, 5, 4, 4, 2, 2, 1, 1, 1, 1];
  assert.throws(() => addon.conv2d(heap, 0, 0, 0, ...geom, -1, 0, 0, -1, 0, 0), /outside the heap/);
  assert.throws(() => addon.sgemm(heap, 0, 0, 4, 4, 4, 2, 4, 0, 4, 0, 0, 4), /bad offset/);
  assert.throws(() => addon.sgemm(heap, 0, 0, 9, 9, 9, 0, 9, 0, 9, 0, 0, 9), /outside the heap/);
  // And a valid call computes C = A·B (2×3 · 3×2).
  heap.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  addon.sgemm(heap, 0, 0, 2, 2, 3, 0, 3, 24, 2, 0, 48, 2);
  assert.deepEqual(Array.from(heap.slice(12, 16)), [1 * 7 + 2 * 9 + 3 * 11, 1 * 8 + 2 * 10 + 3 * 12, 4 * 7 + 5 * 9 + 6 * 11, 4 * 8 + 5 * 10 + 6 * 12]);
});

test('no tensors or wasm data ids leak through forward + backward of every native kernel', async (t) => {
  // Also proves every native kernel ran (a leak test of the fallbacks would prove nothing).
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  await tf.setBackend('wasm');
  const backend = tf.backend();
  const rng = new Rng(9);
  const x = tf.tensor(rng.normalArray(2 * 8 * 8 * 3), [2, 8, 8, 3]) as tf.Tensor4D;
  const w = tf.tensor(rng.normalArray(4 * 4 * 3 * 5), [4, 4, 3, 5]) as tf.Tensor4D;
  const bias = tf.tensor(rng.normalArray(5), [5]);
  const a = tf.tensor(rng.normalArray(3 * 4 * 5), [3, 4, 5]);
  const b = tf.tensor(rng.normalArray(3 * 5 * 2), [3, 5, 2]);
  const step = () => {
    const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, aa: tf.Tensor, b2: tf.Tensor) => {
      const y = tf.fused.conv2d({ x: xx as tf.Tensor4D, filter: ww as tf.Tensor4D, strides: 2, pad: P1, bias: bb, activation: 'relu' });
      const { mean, variance } = tf.moments(y, [0, 1, 2]); // Mean; its gradient tiles (Tile) and sums (Sum)
      const yn = tf.batchNorm(y, mean, variance, tf.zeros([5]), tf.ones([5]), 1e-5) as tf.Tensor4D;
      const yc = tf.concat([yn, y], 3); // Concat; its gradient splits (SplitV)
      const z = tf.conv2dTranspose(yc, tf.concat([ww, ww], 3) as tf.Tensor4D, [2, 8, 8, 3], 2, P1);
      return tf.tanh(tf.leakyRelu(z, 0.2)).sum().add(tf.matMul(aa, b2, false, false).square().sum());
    })([x, w, bias, a, b]);
    const s = g.map((v) => tf.tidy(() => v.sum().dataSync()[0]));
    tf.dispose(g);
    return s;
  };
  step(); // burn-in
  const tensors = tf.memory().numTensors, ids = backend.numDataIds();
  const { result: s1, calls } = await countingAddonCalls(async () => step());
  const s2 = step();
  for (const [name, n] of Object.entries(calls)) assert.ok(n > 0, `native ${name} did not run`);
  assert.equal(tf.memory().numTensors, tensors, 'numTensors changed');
  assert.equal(backend.numDataIds(), ids, 'wasm data ids changed');
  assert.deepEqual(s1, s2, 'same inputs gave different gradients');
  tf.dispose([x, w, bias, a, b]);
});

test('unregisterNativeKernels restores the previous wasm kernels; register is idempotent', (t) => {
  if (!loaded.ok) return t.skip(`native addon not available: ${loaded.reason}`);
  const mine = NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'wasm'));
  registerNativeKernels(); // no-op
  NATIVE_KERNEL_NAMES.forEach((n, i) => assert.equal(tf.getKernel(n, 'wasm'), mine[i]));
  unregisterNativeKernels();
  assert.equal(nativeKernelsRegistered(), false);
  // tfjs-wasm 4.22 has its own Conv2D but no Conv2DBackpropFilter: unregistering restores the one and leaves the other absent.
  assert.notEqual(tf.getKernel(tf.Conv2D, 'wasm'), mine[0]);
  assert.ok(tf.getKernel(tf.Conv2D, 'wasm') !== undefined);
  assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), undefined);
  registerNativeKernels();
  assert.equal(nativeKernelsRegistered(), true);
});

test('loadNativeKernels reports a missing addon instead of throwing (fresh process)', () => {
  const modPath = path.resolve(__dirname, '../../src/backend/native/native-kernels.js');
  const code = `const m = require(${JSON.stringify(modPath)}); process.stdout.write(JSON.stringify(m.loadNativeKernels({ path: '/nonexistent/gawwn_native.node' })));`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { ok: boolean; reason?: string };
  assert.equal(res.ok, false);
  assert.match(res.reason ?? '', /not built .*gawwn_native\.node missing/);
});
