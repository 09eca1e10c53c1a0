/**
 * Every kernel GAWWN's training needs on wasm, forward and gradient, against the cpu backend; the kernels we
 * register (wasm-kernels.ts) through each of their routes; no leaked tensors or backend data.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../../src/util/rng.js';
import { chooseBackpropInput, planAxis, planPhases, registerWasmTrainingKernels } from '../../src/backend/wasm-kernels.js';
import type { WasmBackendLike } from '../../src/backend/wasm-ops.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

before(async () => {
  tf.enableProdMode();
  assert.ok(await tf.setBackend('wasm'));
  await tf.ready();
  registerWasmTrainingKernels();
});

/** Deterministic inputs as plain arrays, so each backend builds its own tensors. */
function data(shape: number[], seed: number, scale = 1): Float32Array {
  return new Rng(seed).normalArray(shape.reduce((a, b) => a * b, 1), scale);
}

/** Runs `fn` on a backend and returns every output's values and shape; nothing stays allocated. */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Array<{ v: Float32Array; shape: number[] }>> {
  assert.ok(await tf.setBackend(backend));
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const res = list.map((t) => ({ v: t.dataSync() as Float32Array, shape: t.shape.slice() }));
  tf.dispose(list);
  return res;
}

/** |wasm − cpu| ≤ tol·(1 + |cpu|) elementwise, same shapes; returns the max abs difference. */
function assertClose(wasm: Array<{ v: Float32Array; shape: number[] }>, cpu: Array<{ v: Float32Array; shape: number[] }>, what: string, tol = 2e-4): number {
  assert.equal(wasm.length, cpu.length, what);
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) {
    assert.deepEqual(wasm[i].shape, cpu[i].shape, `${what}: output ${i} shape`);
    const a = wasm[i].v;
    const b = cpu[i].v;
    let nonzero = 0;
    for (let j = 0; j < b.length; j++) {
      const d = Math.abs(a[j] - b[j]);
      worst = Math.max(worst, d);
      if (b[j] !== 0) nonzero++;
      if (!(d <= tol * (1 + Math.abs(b[j])))) assert.fail(`${what}: output ${i}[${j}] wasm ${a[j]} vs cpu ${b[j]}`);
    }
    assert.ok(nonzero > 0 || b.length === 0, `${what}: output ${i} is all zeros on cpu, the comparison would prove nothing`);
  }
  return worst;
}

async function compare(what: string, fn: () => tf.Tensor | tf.Tensor[], tol?: number): Promise<void> {
  const cpu = await on('cpu', fn);
  const wasm = await on('wasm', fn);
  assertClose(wasm, cpu, what, tol);
  await tf.setBackend('wasm');
}

function wasmBackend(): WasmBackendLike {
  return tf.backend() as unknown as WasmBackendLike;
}

/** Asserts that running `fn` (inside tidy) leaves engine tensors and wasm backend data unchanged. */
async function assertNoLeak(what: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  await tf.setBackend('wasm');
  tf.tidy(fn); // first call may allocate lazily-initialised state
  const tensors = tf.memory().numTensors;
  const ids = wasmBackend().numDataIds();
  tf.tidy(() => {
    const o = fn();
    (Array.isArray(o) ? o : [o]).forEach((t) => t.dataSync());
  });
  assert.equal(tf.memory().numTensors, tensors, `${what}: engine tensors leaked`);
  assert.equal(wasmBackend().numDataIds(), ids, `${what}: wasm data ids leaked`);
}

// Conv cases: [x shape NHWC, filter [kh, kw, Ci, Co], stride, pad]. GAWWN's (gawwn-reference §2–§3) plus the
// awkward ones: 'same' with odd sizes, 'valid' with unused rows, asymmetric explicit pads, k not a
// multiple of s, k < s, unequal strides.
const CONV_CASES: Array<[number[], number[], number | [number, number], Pad]> = [
  [[2, 8, 8, 3], [4, 4, 3, 5], 2, 1], // Conv/ConvT 4×4 s2 p1
  [[2, 6, 6, 4], [3, 3, 4, 5], 1, 1], // 3×3 s1 p1
  [[2, 5, 5, 4], [1, 1, 4, 6], 1, 0], // 1×1
  [[3, 4, 4, 5], [4, 4, 5, 2], 1, 'valid'], // 4×4 valid to 1×1 (and the ConvT from 1×1)
  [[2, 7, 7, 3], [3, 3, 3, 4], 2, 'same'],
  [[2, 9, 8, 3], [4, 4, 3, 4], 2, 'valid'],
  [[1, 6, 6, 2], [3, 3, 2, 3], 1, 'same'],
  [[2, 8, 8, 3], [4, 4, 3, 5], 2, [[0, 0], [1, 2], [2, 1], [0, 0]]],
  [[2, 8, 8, 3], [5, 5, 3, 2], 3, 2],
  [[2, 8, 6, 3], [2, 2, 3, 2], 2, 0],
  [[2, 6, 6, 3], [1, 1, 3, 2], 2, 0], // k < s: no taps for some phases
  [[2, 8, 6, 3], [4, 3, 3, 2], [2, 1], 'same'], // unequal strides
];

test('planPhases: 4×4 s2 p1 per-phase pads; 5×5 s3 p2 has phases of 2 and 1 taps (golden)', () => {
  // Even dx rows (φ=0): residue 1, c=0, taps 2 -> pad 1 before, 0 after (8 rows from 8+1−2+1).
  // Odd rows (φ=1): residue 0, c=1 -> pad 0 before, 1 after.
  assert.deepEqual(planPhases(4, 2, 1, 16, 8), [
    { residue: 1, taps: 2, padBefore: 1, padAfter: 0 },
    { residue: 0, taps: 2, padBefore: 0, padAfter: 1 },
  ]);
  // k=5, s=3, p=2, H=8, Ho=3: φ=0 -> r=2, c=0, taps ceil(3/3)=1, pad 0/0 (M=3 rows from 3);
  // φ=1 -> r=0, c=1, taps 2, pad 0/1; φ=2 -> r=1, c=1, taps ceil(4/3)=2, pad 0/1.
  assert.deepEqual(planPhases(5, 3, 2, 8, 3), [
    { residue: 2, taps: 1, padBefore: 0, padAfter: 0 },
    { residue: 0, taps: 2, padBefore: 0, padAfter: 1 },
    { residue: 1, taps: 2, padBefore: 0, padAfter: 1 },
  ]);
  assert.equal(planPhases(1, 2, 0, 6, 3), null, 'k < s leaves a phase without taps');
});

test('planAxis: 4×4 s2 p1 is two phases of two taps sharing one padded dy (golden)', () => {
  // ih + 1 = 2q + r: even ih use residue 1 (c = 0), odd ih residue 0 (c = 1); window J = 2.
  const p = planAxis(4, 2, 1, 16, 8);
  assert.deepEqual(p, { s: 2, taps: 2, rows: 8, padBefore: 1, padAfter: 1, residue: [1, 0], offset: [0, 1] });
  // Stride 1, 3×3 p1: the flipped-filter conv with pad k−1−p = 1 on both sides.
  assert.deepEqual(planAxis(3, 1, 1, 16, 16), { s: 1, taps: 3, rows: 16, padBefore: 1, padAfter: 1, residue: [0], offset: [0] });
});

test('chooseBackpropInput routes each GAWWN shape', () => {
  const p0 = { top: 0, left: 0 };
  const p1 = { top: 1, left: 1 };
  assert.equal(chooseBackpropInput([16, 1, 1, 100], [4, 4, 512, 100], [16, 4, 4, 512], [1, 1], p0), 'matmul');
  // 4×4 s2 p1: one shared-window conv computes ((Ho+1)/Ho)² of the pixels needed: 1.27 at 8×8 -> per
  // phase; 1.06 at 32×32 -> shared.
  assert.equal(chooseBackpropInput([16, 8, 8, 64], [4, 4, 32, 64], [16, 16, 16, 32], [2, 2], p1), 'phases');
  assert.equal(chooseBackpropInput([16, 32, 32, 64], [4, 4, 32, 64], [16, 64, 64, 32], [2, 2], p1), 'subpixel');
  assert.equal(chooseBackpropInput([16, 8, 8, 64], [4, 4, 32, 64], [16, 16, 16, 32], [2, 2], p1, 'subpixel'), 'subpixel');
  // 3×3 s1 p1 at 16×16: (18−3+1)² = 256 = needed, no waste.
  assert.equal(chooseBackpropInput([16, 16, 16, 64], [3, 3, 32, 64], [16, 16, 16, 32], [1, 1], p1), 'subpixel');
  assert.equal(chooseBackpropInput([2, 3, 3, 2], [1, 1, 3, 2], [2, 6, 6, 3], [2, 2], p0), 'native');
  assert.equal(chooseBackpropInput([16, 8, 8, 64], [4, 4, 32, 64], [16, 16, 16, 32], [2, 2], p1, 'native'), 'native');
});

test('Conv2DBackpropFilter (missing from tfjs-wasm 4.22) matches cpu', async () => {
  for (const [xs, fs, s, p] of CONV_CASES) {
    const fn = () => {
      const x = tf.tensor4d(data(xs, 1), xs as [number, number, number, number]);
      const y = tf.conv2d(x, tf.tensor4d(data(fs, 2), fs as [number, number, number, number]), s, p);
      const dy = tf.tensor(data(y.shape, 3), y.shape);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: p, dataFormat: 'NHWC', filterShape: fs }) as tf.Tensor;
    };
    await compare(`Conv2DBackpropFilter ${JSON.stringify([xs, fs, s, p])}`, fn);
    await assertNoLeak(`Conv2DBackpropFilter ${JSON.stringify([xs, fs, s, p])}`, fn);
  }
});

test('Conv2DBackpropInput (transposed conv) matches cpu on every route', async () => {
  const routes = new Set<string>();
  for (const mode of ['fast', 'subpixel', 'phases', 'native'] as const) {
    registerWasmTrainingKernels({ transposedConv: mode });
    for (const [xs, fs, s, p] of CONV_CASES) {
      const strides: [number, number] = typeof s === 'number' ? [s, s] : s;
      const info = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], fs as [number, number, number, number], strides, 1, p);
      const dyShape = [xs[0], info.outHeight, info.outWidth, fs[3]];
      routes.add(chooseBackpropInput(dyShape, fs, xs, strides, info.padInfo, mode));
      const fn = () => tf.conv2dTranspose(tf.tensor4d(data(dyShape, 4), dyShape as [number, number, number, number]),
        tf.tensor4d(data(fs, 5), fs as [number, number, number, number]), xs as [number, number, number, number], s, p);
      await compare(`Conv2DBackpropInput ${mode} ${JSON.stringify([xs, fs, s, p])}`, fn);
      await assertNoLeak(`Conv2DBackpropInput ${mode} ${JSON.stringify([xs, fs, s, p])}`, fn);
    }
  }
  registerWasmTrainingKernels();
  assert.deepEqual([...routes].sort(), ['matmul', 'native', 'phases', 'subpixel']);
});

test('conv2d and conv2dTranspose layers: forward and gradients (input, filter) match cpu', async () => {
  for (const [xs, fs, s, p] of CONV_CASES.slice(0, 8)) {
    await compare(`conv2d grads ${JSON.stringify([xs, fs, s, p])}`, () => {
      const x = tf.tensor4d(data(xs, 6), xs as [number, number, number, number]);
      const w = tf.tensor4d(data(fs, 7), fs as [number, number, number, number]);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p);
      const y = f(x, w);
      const dy = tf.tensor(data(y.shape, 8), y.shape);
      return [y, ...tf.grads(f)([x, w], dy)];
    });
    // The transposed conv of the same geometry: input = the conv's output, output = the conv's input.
    await compare(`conv2dTranspose grads ${JSON.stringify([xs, fs, s, p])}`, () => {
      const w = tf.tensor4d(data(fs, 9), fs as [number, number, number, number]);
      const yShape = tf.conv2d(tf.zeros(xs as [number, number, number, number]) as tf.Tensor4D, w, s, p).shape as number[];
      const z = tf.tensor(data(yShape, 10), yShape);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, xs as [number, number, number, number], s, p);
      const out = f(z, w);
      const dOut = tf.tensor(data(xs, 11), xs);
      return [out, ...tf.grads(f)([z, w], dOut)];
    });
  }
});

test('fused conv layers (conv + bias + relu, as tf.layers builds them) train identically', async () => {
  await compare('layers conv2d/conv2dTranspose variableGrads', () => {
    const rng = new Rng(12);
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.constant({ value: 0 }), inputShape: [8, 8, 3] });
    const convT = tf.layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same' });
    const x = tf.tensor4d(data([2, 8, 8, 3], 13), [2, 8, 8, 3]);
    conv.apply(x);
    convT.apply(tf.zeros([2, 4, 4, 4]));
    for (const l of [conv, convT]) l.setWeights(l.getWeights().map((w) => tf.tensor(rng.normalArray(w.size, 0.3), w.shape)));
    const vars = [...conv.trainableWeights, ...convT.trainableWeights].map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => (convT.apply(conv.apply(x)) as tf.Tensor).square().mean() as tf.Scalar, vars);
    const out = [value, ...vars.map((v) => grads[v.name])];
    for (const l of [conv, convT]) l.dispose();
    return out;
  });
});

test('dense / matmul with every transpose flag (BatchMatMul, _FusedMatMul) matches cpu with gradients', async () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    await compare(`matMul ${ta} ${tb}`, () => {
      const a = tf.tensor(data(ta ? [7, 5] : [5, 7], 20), ta ? [7, 5] : [5, 7]) as tf.Tensor2D;
      const b = tf.tensor(data(tb ? [3, 7] : [7, 3], 21), tb ? [3, 7] : [7, 3]) as tf.Tensor2D;
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb);
      const dy = tf.tensor(data([5, 3], 22), [5, 3]);
      return [f(a, b), ...tf.grads(f)([a, b], dy)];
    });
    // Batched (the spatial transformer's two interpolation matmuls). (tfjs-core's MatMul gradient does not
    // reduce broadcast batch dims, on any backend, so the batches are equal.)
    await compare(`batched matMul ${ta} ${tb}`, () => {
      const a = tf.tensor(data(ta ? [4, 6, 5] : [4, 5, 6], 23), ta ? [4, 6, 5] : [4, 5, 6]);
      const b = tf.tensor(data(tb ? [4, 2, 6] : [4, 6, 2], 24), tb ? [4, 2, 6] : [4, 6, 2]);
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb);
      const dy = tf.tensor(data([4, 5, 2], 25), [4, 5, 2]);
      return [f(a, b), ...tf.grads(f)([a, b], dy)];
    });
    await compare(`fused matMul + bias + relu ${ta} ${tb}`, () => {
      const a = tf.tensor(data(ta ? [7, 5] : [5, 7], 26), ta ? [7, 5] : [5, 7]) as tf.Tensor2D;
      const b = tf.tensor(data(tb ? [3, 7] : [7, 3], 27), tb ? [3, 7] : [7, 3]) as tf.Tensor2D;
      const bias = tf.tensor1d(data([3], 28));
      const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: z, activation: 'relu' });
      const dy = tf.tensor(data([5, 3], 29), [5, 3]);
      return [f(a, b, bias), ...tf.grads(f)([a, b, bias], dy)];
    });
    await assertNoLeak(`matMul ${ta} ${tb}`, () =>
      tf.matMul(tf.ones(ta ? [7, 5] : [5, 7]) as tf.Tensor2D, tf.ones(tb ? [3, 7] : [7, 3]) as tf.Tensor2D, ta, tb));
  }
});

test('batch norm in training mode (tf.layers, moments + FusedBatchNorm) matches cpu with gradients', async () => {
  for (const shape of [[4, 3, 3, 5], [6, 7]]) {
    await compare(`batchNormalization training ${JSON.stringify(shape)}`, () => {
      const bn = tf.layers.batchNormalization({ inputShape: shape.slice(1) });
      const x = tf.tensor(data(shape, 30, 2), shape);
      bn.apply(x);
      const rng = new Rng(31);
      bn.setWeights(bn.getWeights().map((w, i) => (i < 2 ? tf.tensor(rng.normalArray(w.size, 0.5), w.shape).add(i === 0 ? 1 : 0) : w.clone())));
      const vars = bn.trainableWeights.map((w) => w.read() as tf.Variable);
      const dy = tf.tensor(data(shape, 32), shape);
      const f = (a: tf.Tensor) => (bn.apply(a, { training: true }) as tf.Tensor).mul(dy).sum();
      const dx = tf.grad(f)(x);
      const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, vars);
      const out = [bn.apply(x, { training: true }) as tf.Tensor, dx, ...vars.map((v) => grads[v.name])];
      bn.dispose();
      return out;
    });
  }
});

test('activations and their gradients (relu, leakyRelu, elu, sigmoid, tanh) match cpu', async () => {
  const acts: Array<[string, (x: tf.Tensor) => tf.Tensor]> = [
    ['relu', (x) => tf.relu(x)],
    ['leakyRelu', (x) => tf.leakyRelu(x, 0.2)],
    ['elu', (x) => tf.elu(x)],
    ['sigmoid', (x) => tf.sigmoid(x)],
    ['tanh', (x) => tf.tanh(x)],
    ['sigmoidCrossEntropy', (x) => tf.losses.sigmoidCrossEntropy(tf.onesLike(x).mul(0.7), x, undefined, undefined, tf.Reduction.NONE)],
  ];
  for (const [name, f] of acts) {
    await compare(name, () => {
      const x = tf.tensor(data([3, 4, 5], 40, 2), [3, 4, 5]);
      const dy = tf.tensor(data([3, 4, 5], 41), [3, 4, 5]);
      return [f(x), tf.grad(f)(x, dy)];
    });
  }
});

test('mean, concat, tile, transpose, gather: forward and gradients match cpu', async () => {
  const cases: Array<[string, number[], (x: tf.Tensor) => tf.Tensor]> = [
    ['mean over H,W', [2, 4, 4, 3], (x) => x.mean([1, 2])],
    ['mean all', [2, 4, 4, 3], (x) => x.mean()],
    ['concat channels', [2, 3, 3, 2], (x) => tf.concat([x, x.mul(2), x.slice([0, 0, 0, 0], [2, 3, 3, 1])], 3)],
    ['tile (spatial replication)', [2, 1, 1, 3], (x) => tf.tile(x, [1, 4, 4, 1])],
    ['tile every axis', [2, 3, 1], (x) => tf.tile(x, [3, 2, 5])],
    ['transpose NHWC->NCHW', [2, 3, 4, 5], (x) => tf.transpose(x, [0, 3, 1, 2])],
    ['gather rows (in-batch shuffle)', [5, 3], (x) => tf.gather(x, tf.tensor1d([3, 0, 4, 4, 1], 'int32'))],
    ['gather axis 1', [2, 4, 3], (x) => tf.gather(x, tf.tensor1d([2, 2, 0], 'int32'), 1)],
  ];
  for (const [name, shape, f] of cases) {
    await compare(name, () => {
      const x = tf.tensor(data(shape, 50), shape);
      const y = f(x);
      const dy = tf.tensor(data(y.shape, 51), y.shape);
      return [y, tf.grad(f)(x, dy)];
    });
  }
  await assertNoLeak('tile', () => tf.tile(tf.ones([1, 1, 1, 8]), [4, 4, 4, 1]));
  await assertNoLeak('gather grad', () => tf.grad((x: tf.Tensor) => tf.gather(x, tf.tensor1d([1, 0, 1], 'int32')).sum())(tf.ones([3, 2])));
});

test('UnsortedSegmentSum: golden sums, drops out-of-range ids, 2-D ids', async () => {
  await tf.setBackend('wasm');
  const run = (x: tf.Tensor, ids: tf.Tensor, numSegments: number) =>
    tf.tidy(() => Array.from((tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments }) as tf.Tensor).dataSync()));
  // Rows [1,2], [3,4], [5,6], [7,8] to segments [2, 0, 2, -1 (dropped)] of 3.
  assert.deepEqual(run(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), tf.tensor1d([2, 0, 2, -1], 'int32'), 3), [3, 4, 0, 0, 6, 8]);
  // 2-D ids over a [2,2,1] tensor: ids [[1,1],[0,5]] with 5 out of range.
  assert.deepEqual(run(tf.tensor3d([1, 2, 3, 4], [2, 2, 1]), tf.tensor2d([1, 1, 0, 5], [2, 2], 'int32'), 2), [3, 3]);
});

test('Identity (tf.clone, and every tensor saved for a gradient) shares its data on wasm; lifetimes, assign and gradients are unchanged', async () => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as WasmBackendLike & { dataIdMap: { get(id: object): { memoryOffset: number } } };
  const ids0 = backend.numDataIds();
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const y = tf.clone(x);
  // No copy: the clone points at the same heap bytes (tfjs-wasm 4.22's own Identity copied them).
  assert.equal(backend.dataIdMap.get(y.dataId).memoryOffset, backend.dataIdMap.get(x.dataId).memoryOffset);
  assert.equal(backend.numDataIds(), ids0 + 1);
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3, 4, 5, 6], 'the clone outlives its source');
  y.dispose();
  assert.equal(backend.numDataIds(), ids0, 'freed when the last reference goes');
  // A variable re-pointed by assign leaves an earlier clone's values alone.
  const v = tf.tidy(() => tf.variable(tf.tensor1d([7, 8, 9])));
  const c = tf.clone(v);
  tf.tidy(() => v.assign(tf.tensor1d([0, 0, 0])));
  assert.deepEqual(Array.from(await c.data()), [7, 8, 9]);
  assert.deepEqual(Array.from(await v.data()), [0, 0, 0]);
  tf.dispose([v, c]);
  // A chain whose saved tensors are clones: the gradients match cpu.
  const xv = data([2, 6, 6, 3], 41);
  const wv = data([3, 3, 3, 4], 42, 0.3);
  const f = (): tf.Tensor[] => {
    const xs = tf.tensor4d(xv, [2, 6, 6, 3]);
    const ws = tf.tensor4d(wv, [3, 3, 3, 4]);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.tanh(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')).mul(tf.sigmoid(a.mean(3, true))).sum())([xs, ws]);
    return [gx, gw];
  };
  assertClose(await on('wasm', f), await on('cpu', f), 'gradients through saved clones');
  await tf.setBackend('wasm');
  assert.equal(backend.numDataIds(), ids0, 'no backend data left');
});

test('registration is idempotent and keeps one kernel per name', () => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels({ transposedConv: 'fast' });
  for (const name of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'UnsortedSegmentSum', 'Tile', 'BatchMatMul', '_FusedMatMul', 'Identity']) {
    assert.ok(tf.getKernel(name, 'wasm'), name);
  }
  assert.throws(() => registerWasmTrainingKernels({ transposedConv: 'bogus' as 'fast' }), /transposedConv/);
});
