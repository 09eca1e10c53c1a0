/**
 * The draw server's queue: bounded (503 with a clear body beyond it) and a draw whose client went away is never
 * computed. A tiny box model on the tiny synthetic birds, served in-process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { BusyError, CancelledError, MAX_QUEUED_DRAWS, drawQueue, loadDrawModels, serveDraw, type DrawServer } from '../../src/draw/server.js';
import { initBackend } from '../../src/backend/select.js';
import { gawwn, makeTinyFixture, type TinyFixture } from '../cli/tiny-fixture.js';

let f: TinyFixture;
let server: DrawServer;
let bb = '';

before(async () => {
  f = makeTinyFixture('gawwn-draw-queue-');
  bb = path.join(f.root, 'bb');
  const r = gawwn(['train', '--model', 'bbox', '--data', f.birds, '--out', bb, '--text-encoder', f.text, '--preset', 'tiny', '--steps', '2']);
  assert.equal(r.code, 0, r.err);
  await initBackend({ report: null });
  server = await serveDraw(await loadDrawModels([bb]), 0);
});

after(async () => {
  await server?.close();
  if (f) fs.rmSync(f.root, { recursive: true, force: true });
});

const body = (seed: number): string => JSON.stringify({ model: bb, caption: 'a small red bird', n: 16, seed, box: { x: 0.2, y: 0.2, w: 0.5, h: 0.5 } });

function post(text: string, abortAfterMs?: number): Promise<{ status: number; json: Record<string, unknown> } | null> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.address.port, method: 'POST', path: '/api/sample', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => (abortAfterMs !== undefined ? resolve(null) : reject(e)));
    req.end(text);
    // Closed once the whole request has been sent: the server has it, the client no longer waits for it.
    if (abortAfterMs !== undefined) req.on('finish', () => setTimeout(() => req.destroy(), abortAfterMs));
  });
}

async function idle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300)); // requests still being read
  while (server.stats().waiting > 0) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 200)); // the one running, if any
}

test('drawQueue: one at a time, at most MAX_QUEUED_DRAWS waiting, a cancelled draw is skipped', async () => {
  const q = drawQueue(2);
  const order: number[] = [];
  let release = (): void => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const live = new AbortController();
  const gone = new AbortController();
  const a = q.run(async () => { await gate; order.push(1); return 1; }, live.signal);
  await new Promise((r) => setTimeout(r, 20)); // a is running, not waiting
  const b = q.run(async () => { order.push(2); return 2; }, gone.signal);
  const c = q.run(async () => { order.push(3); return 3; }, live.signal);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(q.waiting(), 2);
  await assert.rejects(q.run(async () => 4, live.signal), (e: Error) => e instanceof BusyError && e.message === 'the server is busy: 2 draws are queued (limit 2); retry in a moment');
  gone.abort();
  assert.equal(q.waiting(), 1, 'a closed request leaves the queue at once');
  const bRefused = assert.rejects(b, CancelledError);
  release();
  assert.equal(await a, 1);
  await bRefused;
  assert.equal(await c, 3);
  assert.deepEqual(order, [1, 3]);
  assert.equal(MAX_QUEUED_DRAWS, 8);
});

test('30 aborted n = 16 draws are not computed; the next real one is answered at once', async () => {
  await post(body(0)); // warm-up
  const t0 = performance.now();
  await post(body(0));
  const one = performance.now() - t0;
  const drawn0 = server.stats().drawn;
  await Promise.all(Array.from({ length: 30 }, (_, i) => post(body(i + 1), 1)));
  await idle();
  const wasted = server.stats().drawn - drawn0;
  assert.ok(wasted <= 2, `${wasted} draws computed for closed requests (one draw: ${one.toFixed(0)} ms)`);
  const t1 = performance.now();
  const r = await post(body(99));
  assert.equal(r?.status, 200);
  assert.ok(performance.now() - t1 < 3 * one + 500, `the real draw took ${(performance.now() - t1).toFixed(0)} ms (one draw: ${one.toFixed(0)} ms)`);
});

test('beyond the queue bound a draw gets 503 with a clear body; the accepted ones are all drawn', async () => {
  await idle();
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => post(body(i))));
  const statuses = replies.map((r) => r!.status);
  assert.ok(statuses.every((s) => s === 200 || s === 503), statuses.join(','));
  const busy = replies.filter((r) => r!.status === 503);
  assert.ok(busy.length >= 1 && statuses.filter((s) => s === 200).length >= MAX_QUEUED_DRAWS + 1, statuses.join(','));
  assert.equal(busy[0]!.json.error, `the server is busy: ${MAX_QUEUED_DRAWS} draws are queued (limit ${MAX_QUEUED_DRAWS}); retry in a moment`);
});
