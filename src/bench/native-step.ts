/**
 * A stand-in for one keypoint-GAN training step (gawwn-reference §3.2 G, §3.3 D, §5 step) written directly in
 * tfjs ops, to time the native kernels in context (batch norm, activations, concatenations, Adam and
 * tfjs's autograd included) before the real models exist on this branch. Topology and channel widths
 * follow the reference with ngf = ndf; the linear widths (4·ngf per text/noise branch, nt = 128) are
 * the reference's divided like the conv widths. It is NOT the library's model: `gawwn bench` is the
 * measurement of record once the models land.
 *
 * Run: `node dist/src/bench/native-step.js [--ngf 32] [--batch 16] [--steps 3] [--threads 2] [--wasm]`
 * (`--wasm` times plain wasm instead; tfjs-wasm 4.22 cannot train without a Conv2DBackpropFilter kernel, so
 * that needs `registerWasmTrainingKernels()` to provide one.)
 */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';
import { registerWasmTrainingKernels } from '../backend/wasm-kernels.js';
import { loadNativeKernels, registerNativeKernels } from '../backend/native/native-kernels.js';

type T4 = tf.Tensor4D;
const P1: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]];

/** Variables with the reference init (conv N(0, 0.02), BN γ N(1, 0.02), β 0; gawwn-reference §1). */
class Params {
  readonly vars: tf.Variable[] = [];
  constructor(private readonly rng: Rng) {}
  normal(shape: number[], mean: number, std: number): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = tf.variable(tf.tensor(this.rng.normalArray(n, std).map((x) => x + mean), shape));
    this.vars.push(v);
    return v;
  }
  zeros(shape: number[]): tf.Variable {
    const v = tf.variable(tf.zeros(shape));
    this.vars.push(v);
    return v;
  }
}

function bn(p: Params, c: number): (x: tf.Tensor) => tf.Tensor {
  const gamma = p.normal([c], 1, 0.02), beta = p.zeros([c]);
  return (x) => {
    const axes = x.rank === 4 ? [0, 1, 2] : [0];
    const { mean, variance } = tf.moments(x, axes);
    return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
  };
}
const conv = (p: Params, ci: number, co: number, k: number) => {
  const w = p.normal([k, k, ci, co], 0, 0.02);
  return (x: tf.Tensor, s: number, pad: 'valid' | typeof P1) => tf.conv2d(x as T4, w as unknown as T4, s, pad);
};
const convT = (p: Params, ci: number, co: number, k: number) => {
  const w = p.normal([k, k, co, ci], 0, 0.02);
  return (x: tf.Tensor, out: number, s: number, pad: 'valid' | typeof P1) =>
    tf.conv2dTranspose(x as T4, w as unknown as T4, [x.shape[0], out, out, co], s, pad);
};
const dense = (p: Params, i: number, o: number) => {
  const w = p.normal([i, o], 0, 1 / Math.sqrt(i)), b = p.zeros([o]);
  return (x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, w as unknown as tf.Tensor2D).add(b);
};
const lrelu = (x: tf.Tensor) => tf.leakyRelu(x, 0.2);
// Spatial replication as a broadcast multiply: tfjs's Tile gradient (also used by broadcastTo, which runs
// the Tile kernel) is one slice + add per repetition (256 of each for 16×16); Multiply's is one sum.
const tile = (v: tf.Tensor, hw: number) => v.reshape([v.shape[0], 1, 1, v.shape[1] as number]).mul(tf.ones([1, hw, hw, 1]));

/** Keypoint G (§4.2; gawwn-reference §3.2): z [B,100], t [B,1024], kp [B,16,16,K] → image [B,128,128,3]. */
function buildG(p: Params, g: number, K: number) {
  const zl = dense(p, 100, 4 * g), tl = dense(p, 1024, 4 * g);
  const reg = dense(p, 8 * g, 4 * g), regBn = bn(p, 4 * g), regT = convT(p, 4 * g, 4 * g, 3), regTBn = bn(p, 4 * g);
  const glob = dense(p, 8 * g, 4 * g), globBn = bn(p, 4 * g);
  const k1 = conv(p, K, g, 4), k1b = bn(p, g), k2 = conv(p, g, 2 * g, 4), k2b = bn(p, 2 * g), k3 = conv(p, 2 * g, 4 * g, 4), k3b = bn(p, 4 * g);
  const gt1 = convT(p, 8 * g, 4 * g, 4), gt1b = bn(p, 4 * g), gt2 = convT(p, 4 * g, 2 * g, 4), gt2b = bn(p, 2 * g);
  const gt3 = convT(p, 2 * g, g, 4), gt3b = bn(p, g);
  const m1 = convT(p, 5 * g + K, 4 * g, 3), m1b = bn(p, 4 * g), m2 = convT(p, 4 * g, 4 * g, 3), m2b = bn(p, 4 * g);
  const r1 = conv(p, 4 * g, g, 1), r1b = bn(p, g), r2 = conv(p, g, g, 3), r2b = bn(p, g), r3 = conv(p, g, 4 * g, 3), r3b = bn(p, 4 * g);
  const u1 = convT(p, 4 * g, 2 * g, 4), u1b = bn(p, 2 * g), u2 = convT(p, 2 * g, g, 4), u2b = bn(p, g), u3 = convT(p, g, 3, 4);
  return (z: tf.Tensor, t: tf.Tensor, kp: tf.Tensor): tf.Tensor => {
    const nt = tf.relu(tf.concat([zl(z), tl(t)], 1));
    const mask = kp.max(3, true);
    const region = tf.relu(regTBn(regT(tile(tf.relu(regBn(reg(nt))), 16).mul(mask), 16, 1, P1)));
    const loc = tf.relu(k3b(k3(tf.relu(k2b(k2(tf.relu(k1b(k1(kp, 2, P1))), 2, P1))), 1, 'valid')));
    let x: tf.Tensor = tf.concat([tf.relu(globBn(glob(nt))).reshape([-1, 1, 1, 4 * g]), loc], 3);
    x = tf.relu(gt1b(gt1(x, 4, 1, 'valid')));
    x = tf.relu(gt2b(gt2(x, 8, 2, P1)));
    x = tf.relu(gt3b(gt3(x, 16, 2, P1)));
    x = tf.relu(m1b(m1(tf.concat([x, region, kp], 3), 16, 1, P1)));
    x = m2b(m2(x, 16, 1, P1));
    x = tf.relu(x.add(r3b(r3(tf.relu(r2b(r2(tf.relu(r1b(r1(x, 1, 'valid'))), 1, P1))), 1, P1))));
    x = tf.relu(u1b(u1(x, 32, 2, P1)));
    x = tf.relu(u2b(u2(x, 64, 2, P1)));
    return tf.tanh(u3(x, 128, 2, P1));
  };
}

/** Keypoint D (§4.2; gawwn-reference §3.3): image, kp, t → probability [B,1]. */
function buildD(p: Params, d: number, K: number, nt = 128) {
  const c1 = conv(p, 3, d, 4), c2 = conv(p, d, d, 4), c3 = conv(p, d, 2 * d, 4), c3b = bn(p, 2 * d), c4 = conv(p, 2 * d, 2 * d, 3), c4b = bn(p, 2 * d);
  const txt = dense(p, 1024, nt);
  const rg1 = conv(p, 2 * d + nt, 2 * d, 3), rg1b = bn(p, 2 * d), rg2 = conv(p, 2 * d + K, 2 * d, 1), rg2b = bn(p, 2 * d), rg3 = conv(p, 2 * d, d, 1);
  const g1 = conv(p, 2 * d, 4 * d, 4), g1b = bn(p, 4 * d), g2 = conv(p, 4 * d, 8 * d, 4), g2b = bn(p, 8 * d);
  const g3 = conv(p, 8 * d + nt, 4 * d, 1), g3b = bn(p, 4 * d), g4 = conv(p, 4 * d, d, 4), g4b = bn(p, d);
  const h1 = dense(p, 2 * d, d), h1b = bn(p, d), h2 = dense(p, d, 1);
  return (img: tf.Tensor, kp: tf.Tensor, t: tf.Tensor): tf.Tensor => {
    const f = lrelu(c4b(c4(lrelu(c3b(c3(lrelu(c2(lrelu(c1(img, 2, P1)), 2, P1)), 2, P1))), 1, P1)));
    const tt = lrelu(txt(t));
    let r = lrelu(rg1b(rg1(tf.concat([f, tile(tt, 16)], 3), 1, P1))).mul(kp.max(3, true));
    r = rg3(lrelu(rg2b(rg2(tf.concat([r, kp], 3), 1, 'valid'))), 1, 'valid');
    const rv = lrelu(r.mean([1, 2]));
    let x = lrelu(g2b(g2(lrelu(g1b(g1(f, 2, P1))), 2, P1)));
    x = lrelu(g4b(g4(lrelu(g3b(g3(tf.concat([x, tile(tt, 4)], 3), 1, 'valid'))), 1, 'valid')));
    const gv = x.reshape([-1, d]);
    return tf.sigmoid(h2(lrelu(h1b(h1(tf.concat([rv, gv], 1))))));
  };
}

const bce = (p: tf.Tensor, target: number) => tf.losses.logLoss(tf.fill(p.shape, target), p, undefined, 1e-7);

async function main(argv: string[]): Promise<void> {
  const opt = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const ngf = opt('ngf', 32), B = opt('batch', 16), steps = opt('steps', 3), threads = opt('threads', 2), K = 15;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  tf.enableProdMode();
  registerWasmTrainingKernels();
  let label = 'wasm';
  if (!argv.includes('--wasm')) {
    const r = loadNativeKernels({ threads });
    if (!r.ok) throw new Error(r.reason);
    registerNativeKernels();
    label = `wasm+openblas (${threads} threads)`;
  }
  const rng = new Rng(3);
  const pg = new Params(rng), pd = new Params(rng);
  const G = buildG(pg, ngf, K), D = buildD(pd, ngf, K);
  const optG = tf.train.adam(2e-4, 0.5), optD = tf.train.adam(2e-4, 0.5);
  const rand = (shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
  const img = tf.tanh(rand([B, 128, 128, 3])), t = rand([B, 1024]), tWrong = tf.reverse(t, 0);
  const kp = tf.tensor(Float32Array.from({ length: B * 16 * 16 * K }, () => (rng.next() < 0.02 ? 1 : 0)), [B, 16, 16, K]);
  const step = () => {
    const z = rand([B, 100]);
    const fake = tf.tidy(() => G(z, t, kp));
    const dl = optD.minimize(() => bce(D(img, kp, t), 1).add(bce(D(img, kp, tWrong), 0).mul(0.5)).add(bce(D(fake, kp, t), 0).mul(0.5)) as tf.Scalar,
      true, pd.vars);
    const gl = optG.minimize(() => bce(D(G(z, t, kp), kp, t), 1) as tf.Scalar, true, pg.vars);
    const losses = [dl!.dataSync()[0], gl!.dataSync()[0]];
    tf.dispose([z, fake, dl!, gl!]);
    return losses;
  };
  const sample = () => tf.tidy(() => G(rand([B, 100]), t, kp).dataSync());
  step(); // burn-in: kernels set up, optimizer slots created
  if (argv.includes('--profile')) {
    // The slowest kernels of one step (tf.profile times each kernel; wasm kernels are synchronous).
    const prof = await tf.profile(() => { step(); });
    const by = new Map<string, { ms: number; n: number }>();
    for (const k of prof.kernels) {
      const e = by.get(k.name) ?? { ms: 0, n: 0 };
      e.ms += k.kernelTimeMs as number;
      e.n += 1;
      by.set(k.name, e);
    }
    const total = [...by.values()].reduce((a, e) => a + e.ms, 0);
    const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
    for (const [name, e] of rows) console.log(`${name.padEnd(24)} ${e.ms.toFixed(1).padStart(9)} ms ${(100 * e.ms / total).toFixed(1).padStart(5)}%  ${e.n} calls`);
    console.log(`total kernel time ${total.toFixed(1)} ms`);
  }
  const tensors = tf.memory().numTensors;
  const times: number[] = [], cpu: number[] = [];
  let losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    losses = step();
    const c = process.cpuUsage(c0);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    cpu.push((c.user + c.system) / 1e6);
  }
  sample();
  const st: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    sample();
    st.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(JSON.stringify({
    backend: label, ngf, batch: B, steps, step_s: +med(times).toFixed(3), step_times: times.map((x) => +x.toFixed(3)),
    step_cpu_s: +med(cpu).toFixed(3),
    sample_images_per_s: +(B / med(st)).toFixed(1), tensor_delta: tf.memory().numTensors - tensors,
    losses: losses.map((x) => +x.toFixed(4)), load_average: os.loadavg().map((v) => +v.toFixed(1)),
  }));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  });
}
