/**
 * Kernel benchmark for the OpenBLAS path: the convolution kernels of one keypoint-GAN training
 * step (gawwn-reference §3.2 G, §3.3 D, 128 px) on plain wasm vs wasm+openblas, plus raw sgemm GFLOP/s.
 *
 * Every layer is described by its convolution geometry (a transposed convolution ConvT k s p from a small to
 * a large map is the convolution from the large map back to the small one), and each layer runs the three
 * kernels training needs: Conv2D (forward of a conv / input gradient of a ConvT), Conv2DBackpropInput
 * (the reverse) and Conv2DBackpropFilter (the weight gradient). Linears, batch norm and element-wise ops
 * are not included: this isolates the part the native kernels replace. `gawwn bench` measures whole steps.
 *
 * Plain tfjs-wasm 4.22 has no Conv2DBackpropFilter; there the weight gradient is computed
 * as one dilated conv2d with batch and channel axes swapped, which is what `wasm-kernels.ts` does.
 *
 * Run: `node dist/src/bench/native.js [--ngf 32] [--batch 16] [--reps 3] [--skip-wasm] [--json]`
 */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { loadNativeKernels, nativeAddon, registerNativeKernels, unregisterNativeKernels } from '../backend/native/native-kernels.js';

/** One convolution geometry: input [batch, h, h, ci], filter [k, k, ci, co], stride s, symmetric padding p. */
export interface ConvLayer { name: string; h: number; ci: number; co: number; k: number; s: number; p: number }

/**
 * The convolutions of the keypoint-conditional G and D (gawwn-reference §3.2–§3.3) at width `ngf` = `ndf`,
 * K keypoints, text projection nt. Channel counts scale as in the reference (128 → ngf, 256 → 2·ngf, …).
 */
export function keypointGanLayers(ngf: number, k = 15, nt = 128): { g: ConvLayer[]; d: ConvLayer[] } {
  const g = ngf, d = ngf;
  const L = (name: string, h: number, ci: number, co: number, kk: number, s: number, p: number): ConvLayer => ({ name, h, ci, co, k: kk, s, p });
  return {
    g: [
      L('G prep_loc 16->8', 16, k, g, 4, 2, 1), L('G prep_loc 8->4', 8, g, 2 * g, 4, 2, 1), L('G prep_loc 4->1', 4, 2 * g, 4 * g, 4, 1, 0),
      L('G global ConvT 1->4', 4, 4 * g, 8 * g, 4, 1, 0), L('G global ConvT 4->8', 8, 2 * g, 4 * g, 4, 2, 1),
      L('G global ConvT 8->16', 16, g, 2 * g, 4, 2, 1), L('G region ConvT3 16', 16, 4 * g, 4 * g, 3, 1, 1),
      L('G merge ConvT3 16', 16, 4 * g, 5 * g + k, 3, 1, 1), L('G merge ConvT3 16 b', 16, 4 * g, 4 * g, 3, 1, 1),
      L('G res 1x1', 16, 4 * g, g, 1, 1, 0), L('G res 3x3 a', 16, g, g, 3, 1, 1), L('G res 3x3 b', 16, g, 4 * g, 3, 1, 1),
      L('G ConvT 16->32', 32, 2 * g, 4 * g, 4, 2, 1), L('G ConvT 32->64', 64, g, 2 * g, 4, 2, 1),
      L('G ConvT 64->128', 128, 3, g, 4, 2, 1),
    ],
    d: [
      L('D conv 128->64', 128, 3, d, 4, 2, 1), L('D conv 64->32', 64, d, d, 4, 2, 1), L('D conv 32->16', 32, d, 2 * d, 4, 2, 1),
      L('D conv3 16', 16, 2 * d, 2 * d, 3, 1, 1), L('D region conv3', 16, 2 * d + nt, 2 * d, 3, 1, 1),
      L('D region 1x1 a', 16, 2 * d + k, 2 * d, 1, 1, 0), L('D region 1x1 b', 16, 2 * d, d, 1, 1, 0),
      L('D global 16->8', 16, 2 * d, 4 * d, 4, 2, 1), L('D global 8->4', 8, 4 * d, 8 * d, 4, 2, 1),
      L('D global 1x1', 4, 8 * d + nt, 4 * d, 1, 1, 0), L('D global 4->1', 4, 4 * d, d, 4, 1, 0),
    ],
  };
}

function outSize(l: ConvLayer): number {
  return Math.floor((l.h + 2 * l.p - l.k) / l.s) + 1;
}

/** Multiply-adds ×2 of one of the three kernels of a layer (they all cost the same). */
export function layerGflop(l: ConvLayer, batch: number): number {
  const o = outSize(l);
  return (2 * batch * o * o * l.k * l.k * l.ci * l.co) / 1e9;
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/** Weight gradient as one dilated conv2d with batch and channel axes swapped, for plain wasm. */
function filterGradViaConv(x: tf.Tensor4D, dy: tf.Tensor4D, l: ConvLayer): tf.Tensor4D {
  return tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], [l.p, l.p], [l.p, l.p], [0, 0]]).transpose([3, 1, 2, 0]) as tf.Tensor4D; // [Ci,Hp,Wp,N]
    const f = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [Ho,Wo,N,Co]
    const g = tf.conv2d(xp, f, 1, 'valid', 'NHWC', l.s); // [Ci, >=k, >=k, Co]
    return g.slice([0, 0, 0, 0], [l.ci, l.k, l.k, l.co]).transpose([1, 2, 0, 3]) as tf.Tensor4D;
  });
}

export interface KernelTimes { forward: number; backpropInput: number; backpropFilter: number }

/**
 * Wall-clock seconds, and CPU seconds of this process: on a shared machine the CPU time of a
 * single-threaded run is the load-independent measure of the work done.
 */
interface Sample { wall: number; cpu: number }

/** Median seconds of each kernel of each layer, on the active backend. */
function timeLayer(l: ConvLayer, batch: number, reps: number, nativeFilter: boolean, rng: Rng): { wall: KernelTimes; cpu: KernelTimes } {
  const o = outSize(l);
  const x = tf.tensor(rng.normalArray(batch * l.h * l.h * l.ci), [batch, l.h, l.h, l.ci]) as tf.Tensor4D;
  const w = tf.tensor(rng.normalArray(l.k * l.k * l.ci * l.co, 0.02), [l.k, l.k, l.ci, l.co]) as tf.Tensor4D;
  const dy = tf.tensor(rng.normalArray(batch * o * o * l.co), [batch, o, o, l.co]) as tf.Tensor4D;
  const pad: Pad4 = [[0, 0], [l.p, l.p], [l.p, l.p], [0, 0]];
  const time = (f: () => tf.Tensor): Sample => {
    const ts: Sample[] = [];
    for (let r = 0; r < reps + 1; r++) {
      const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
      const y = f(); // wasm kernels (native or not) run synchronously: the work is done on return
      const c = process.cpuUsage(c0);
      const dt = { wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6 };
      y.dispose();
      if (r > 0) ts.push(dt); // first run warms up allocations
    }
    ts.sort((a, b) => a.wall - b.wall);
    return ts[Math.floor(ts.length / 2)];
  };
  const fwd = time(() => tf.conv2d(x, w, l.s, pad));
  const dx = time(() => tf.conv2dTranspose(dy, w, [batch, l.h, l.h, l.ci], l.s, pad));
  const dw = time(() => nativeFilter
    ? tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: l.s, pad, dataFormat: 'NHWC', filterShape: [l.k, l.k, l.ci, l.co] }) as tf.Tensor
    : filterGradViaConv(x, dy, l));
  tf.dispose([x, w, dy]);
  return {
    wall: { forward: fwd.wall, backpropInput: dx.wall, backpropFilter: dw.wall },
    cpu: { forward: fwd.cpu, backpropInput: dx.cpu, backpropFilter: dw.cpu },
  };
}

export interface BenchResult {
  backend: string; ngf: number; batch: number;
  /** GFLOP of one pass of each kernel over all layers (G once + D three times: real, wrong text, fake). */
  gflop: number;
  /** Wall-clock seconds and GFLOP/s; CPU seconds of the process (all threads). */
  seconds: number; gflops: number; cpuSeconds: number;
  perLayer: { name: string; gflop: number; times: KernelTimes; cpu: KernelTimes }[];
}

/** Runs the layer set once on the active configuration. D layers count three times (matching-aware D). */
export function benchLayers(label: string, ngf: number, batch: number, reps: number, nativeFilter: boolean): BenchResult {
  const { g, d } = keypointGanLayers(ngf);
  const rng = new Rng(1);
  const perLayer: BenchResult['perLayer'] = [];
  let seconds = 0, cpuSeconds = 0, gflop = 0;
  for (const [layers, mult] of [[g, 1], [d, 3]] as const) {
    for (const l of layers) {
      const { wall, cpu } = timeLayer(l, batch, reps, nativeFilter, rng);
      const gf = layerGflop(l, batch);
      perLayer.push({ name: l.name, gflop: gf, times: wall, cpu });
      seconds += mult * (wall.forward + wall.backpropInput + wall.backpropFilter);
      cpuSeconds += mult * (cpu.forward + cpu.backpropInput + cpu.backpropFilter);
      gflop += mult * 3 * gf;
    }
  }
  return { backend: label, ngf, batch, gflop, seconds, cpuSeconds, gflops: gflop / seconds, perLayer };
}

/** GFLOP/s of an n×n×n sgemm through the addon (median of `reps`). */
export function sgemmGflops(n: number, reps = 3): number {
  const a = nativeAddon();
  if (a === null) return NaN;
  const heap = new Float32Array(3 * n * n).map(() => Math.random());
  const ts: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = process.hrtime.bigint();
    a.sgemm(heap, 0, 0, n, n, n, 0, n, 4 * n * n, n, 0, 8 * n * n, n);
    if (r > 0) ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  ts.sort((x, y) => x - y);
  return (2 * n ** 3) / ts[Math.floor(ts.length / 2)] / 1e9;
}

async function main(argv: string[]): Promise<void> {
  const opt = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const ngf = opt('ngf', 32), batch = opt('batch', 16), reps = opt('reps', 3), threads = opt('threads', 2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  tf.enableProdMode();
  const loaded = loadNativeKernels({ threads });
  const results: BenchResult[] = [];
  const lines: string[] = [`load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores`];
  if (loaded.ok) {
    lines.push(`openblas: ${loaded.openblas}, threads ${loaded.threads}`);
    lines.push(`sgemm GFLOP/s: 512² ${sgemmGflops(512).toFixed(1)}, 1024² ${sgemmGflops(1024).toFixed(1)}, 2048² ${sgemmGflops(2048, 2).toFixed(1)}`);
    registerNativeKernels();
    results.push(benchLayers('wasm+openblas', ngf, batch, reps, true));
    unregisterNativeKernels();
  } else {
    lines.push(`native kernels unavailable: ${loaded.reason}`);
  }
  if (!argv.includes('--skip-wasm')) results.push(benchLayers('wasm', ngf, batch, Math.min(reps, 1), false));
  if (argv.includes('--json')) {
    process.stdout.write(JSON.stringify({ info: lines, results }) + '\n');
    return;
  }
  for (const l of lines) console.log(l);
  for (const r of results) {
    console.log(`\n${r.backend}: ngf ${r.ngf}, batch ${r.batch}, threads ${threads}: ${r.gflop.toFixed(1)} GFLOP of conv kernels in ${r.seconds.toFixed(3)} s wall = ${r.gflops.toFixed(1)} GFLOP/s (process CPU ${r.cpuSeconds.toFixed(3)} s)`);
    console.log(`  ${'layer'.padEnd(22)} ${'GFLOP'.padStart(7)}   ms wall / ms CPU of: forward | input gradient | filter gradient`);
    for (const p of r.perLayer) {
      const k = (w: number, c: number) => `${(w * 1e3).toFixed(1).padStart(6)} /${(c * 1e3).toFixed(1).padStart(6)}`;
      const t = p.times, c = p.cpu;
      console.log(`  ${p.name.padEnd(22)} ${p.gflop.toFixed(3).padStart(7)}   ${k(t.forward, c.forward)} | ${k(t.backpropInput, c.backpropInput)} | ${k(t.backpropFilter, c.backpropFilter)}`);
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
