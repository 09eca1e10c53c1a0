import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { bce, BCE_EPS, dTerm, generatorLoss, gTerm, matchingAwareDLoss, matchingAwareDLossOf, modeSeekingLoss, MODE_SEEKING_EPS, plainDLoss } from '../../src/training/losses.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('matching-aware D loss equals -ln pR + w(-ln(1-pW)) + (1-w)(-ln(1-pF)) for chosen probabilities', () => {
  const pR = tf.tensor2d([[0.8], [0.6]]);
  const pW = tf.tensor2d([[0.3], [0.1]]);
  const pF = tf.tensor2d([[0.4], [0.25]]);
  const mean = (a: number, b: number) => (a + b) / 2;
  const real = mean(-Math.log(0.8), -Math.log(0.6));
  const wrong = mean(-Math.log(0.7), -Math.log(0.9));
  const fake = mean(-Math.log(0.6), -Math.log(0.75));
  for (const w of [0.5, 0.2]) {
    const l = matchingAwareDLoss(pR, pW, pF, w);
    close(l.real.arraySync(), real);
    close(l.wrong.arraySync(), wrong);
    close(l.fake.arraySync(), fake);
    close(l.total.arraySync(), real + w * wrong + (1 - w) * fake);
    tf.dispose([l.total, l.real, l.wrong, l.fake]);
  }
  const plain = plainDLoss(pR, pF);
  close(plain.total.arraySync(), real + fake);
  const g = generatorLoss(pF);
  close(g.arraySync(), mean(-Math.log(0.4), -Math.log(0.25)));
  tf.dispose([pR, pW, pF, plain.total, plain.real, plain.fake, g]);
});

test('BCE keeps Torch\'s epsilon: p = 0 with label 1 gives -ln(1e-12), not Infinity; no leak', () => {
  const p = tf.tensor1d([0, 1]);
  const n0 = tf.memory().numTensors;
  const l1 = bce(p, 1);
  const l0 = bce(p, 0);
  assert.equal(tf.memory().numTensors, n0 + 2);
  close(l1.arraySync(), -Math.log(BCE_EPS) / 2, 1e-3);
  close(l0.arraySync(), -Math.log(BCE_EPS) / 2, 1e-3);
  tf.dispose([p, l1, l0]);
});

test('hinge, logit-BCE and mode-seeking terms: golden values', () => {
  const hinge = { loss: 'hinge', dOutput: 'logit' } as const;
  const logit = { loss: 'bce', dOutput: 'logit' } as const;
  const s = tf.tensor1d([0.5, 2, -3]);
  // relu(1 − s) = [0.5, 0, 4] → 1.5; relu(1 + s) = [1.5, 3, 0] → 1.5; G: −mean(s) = 1/6.
  assert.ok(Math.abs(dTerm(s, 1, hinge).dataSync()[0] - 1.5) < 1e-6);
  assert.ok(Math.abs(dTerm(s, 0, hinge).dataSync()[0] - 1.5) < 1e-6);
  assert.ok(Math.abs(gTerm(s, hinge).dataSync()[0] - 1 / 6) < 1e-6);
  // BCE of a logit is BCE of its sigmoid.
  const p = tf.sigmoid(s);
  assert.ok(Math.abs(dTerm(s, 1, logit).dataSync()[0] - bce(p, 1).dataSync()[0]) < 1e-5);
  assert.ok(Math.abs(dTerm(s, 0, logit).dataSync()[0] - bce(p, 0).dataSync()[0]) < 1e-5);
  const parts = matchingAwareDLossOf(s, tf.tensor1d([0]), tf.tensor1d([-2]), 0.5, hinge);
  // real 1.5 + 0.5·relu(1 + 0) + 0.5·relu(1 − 2) = 2.
  assert.ok(Math.abs(parts.total.dataSync()[0] - 2) < 1e-6);
  // mean|z₁ − z₂| = 2, mean|G₁ − G₂| = 0.5 → 2 / (0.5 + 1e-5).
  const ms = modeSeekingLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[1, -1]]), tf.tensor2d([[-1, 1]])).dataSync()[0];
  assert.ok(Math.abs(ms - 2 / (0.5 + MODE_SEEKING_EPS)) < 1e-4, `${ms}`);
});
