/**
 * Lenient parsing and raw errno text, on the real CLI: every case gives exit 2 and one `gawwn: …` line naming
 * the field or file and the value (docs/bad-input.md rows 56–80). A small synthetic bird root is damaged one
 * way at a time; sampling uses the shipped models.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { errorLines, gawwn } from './tiny-fixture.js';

let T = '';
let birds = '';

before(() => {
  T = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-strict-'));
  birds = path.join(T, 'birds');
  const r = gawwn(['data', 'synth-birds', '--out', birds, '--images', '6', '--seed', '1']);
  assert.equal(r.code, 0, r.err);
});
after(() => {
  if (T) fs.rmSync(T, { recursive: true, force: true });
});

/** exit 2, nothing on stdout, exactly the one error line `gawwn: <expected>`. */
function refused(args: string[], expected: string | RegExp, env: Record<string, string> = {}): void {
  const r = gawwn(args, env);
  assert.equal(r.code, 2, `${args.join(' ')}\n${r.err}`);
  assert.equal(r.out, '');
  const lines = errorLines(r.err);
  assert.equal(lines.length, 1, r.err);
  if (typeof expected === 'string') assert.equal(lines[0], `gawwn: ${expected}`);
  else assert.match(lines[0], expected);
}

/** A copy of the bird root with `damage` applied. */
function damaged(name: string, damage: (root: string) => void): string {
  const root = path.join(T, name);
  fs.cpSync(birds, root, { recursive: true });
  damage(root);
  return root;
}

const box = ['--run', 'pretrained:birds-bbox', '--caption', 'a small red bird', '--box', '0.2,0.2,0.5,0.5'];

test('sample: strict --box, --seed, --n, --keypoints and --caption', () => {
  const out = path.join(T, 'x.png');
  refused(['sample', ...box.slice(0, 4), '--box', ',,0.5,0.5', '--out', out], "--box expects x,y,w,h (four numbers in [0,1]), got ',,0.5,0.5'");
  refused(['sample', ...box, '--seed', '4294967296', '--out', out], "--seed must be an integer in 0..4294967295, got '4294967296'");
  refused(['sample', ...box, '--seed', '', '--out', out], "--seed must be an integer in 0..4294967295, got ''");
  refused(['sample', ...box, '--n', '0x2', '--out', out], "--n must be an integer in 1..64, got '0x2'");
  refused(['sample', '--run', 'pretrained:birds-bbox', '--caption', '', '--box', '0.2,0.2,0.5,0.5', '--out', out], '--caption is empty; describe the image to draw');
  refused(['sample', '--run', 'pretrained:birds-bbox', '--caption', 'a'.repeat(1001), '--box', '0.2,0.2,0.5,0.5', '--out', out], '--caption of 1001 characters (limit 1000, as for training captions)');
  const kp = ['sample', '--run', 'pretrained:birds-keypoint', '--caption', 'a small red bird', '--out', out];
  refused([...kp, '--keypoints', 'beak: ,0.2'], "keypoint 'beak' must be two numbers in [0,1], got ' ,0.2'");
  refused([...kp, '--keypoints', 'beak:0.2,0.2;tail:0.8,0.7;Beak:0.3,0.3'], "part 'beak' given twice in --keypoints");
  assert.ok(!fs.existsSync(out), 'nothing written');
});

test('sample --out onto a folder or /proc, data grid --tile 0: one line naming the path', () => {
  const dir = path.join(T, 'out.png');
  fs.mkdirSync(dir);
  refused(['sample', ...box, '--out', dir], `${dir}: is a folder; --out names the file to write`);
  assert.deepEqual(fs.readdirSync(dir), []);
  if (fs.existsSync('/proc/self')) {
    refused(['sample', ...box, '--out', '/proc/gawwn.png'], '/proc/gawwn.png: cannot write --out: its folder does not accept new files (ENOENT; a virtual file system such as /proc?)');
  }
  refused(['data', 'grid', birds, '--out', path.join(T, 'g.png'), '--tile', '0'], "--tile must be an integer in 16..2048, got '0'");
  assert.ok(!fs.existsSync(path.join(T, 'g.png')));
});

test('data inspect: a FIFO, a folder in place of an image; UTF-16 images.txt; Latin-1 captions; 0x2 ids; duplicate part names', () => {
  const images = fs.readFileSync(path.join(birds, 'images.txt'), 'utf8').split('\n')[0].split(' ')[1];
  const fifoRoot = damaged('fifo', (r) => {
    fs.rmSync(path.join(r, 'images', images));
    assert.equal(spawnSync('mkfifo', [path.join(r, 'images', images)]).status, 0);
  });
  const t0 = Date.now();
  refused(['data', 'inspect', fifoRoot], `${path.join(fifoRoot, 'images', images)}: is a FIFO (named pipe), not a regular file; an image must be a regular file`);
  assert.ok(Date.now() - t0 < 30_000);
  const dirRoot = damaged('dir', (r) => {
    fs.rmSync(path.join(r, 'images', images));
    fs.mkdirSync(path.join(r, 'images', images));
  });
  refused(['data', 'inspect', dirRoot], `${path.join(dirRoot, 'images', images)}: is a folder, not a regular file; an image must be a regular file`);

  const u16 = damaged('utf16', (r) => {
    const f = path.join(r, 'images.txt');
    fs.writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fs.readFileSync(f, 'utf8'), 'utf16le')]));
  });
  refused(['data', 'inspect', u16], `${path.join(u16, 'images.txt')}: not UTF-8 (looks like UTF-16); save the images.txt as UTF-8`);

  const cls = fs.readdirSync(path.join(birds, 'text_c10')).sort()[0];
  const capFile = fs.readdirSync(path.join(birds, 'text_c10', cls)).sort()[0];
  const latin = damaged('latin1', (r) => {
    const f = path.join(r, 'text_c10', cls, capFile);
    const lines = fs.readFileSync(f, 'utf8').split('\n');
    lines[1] = 'this bird has a cr\xe8me belly';
    fs.writeFileSync(f, Buffer.from(lines.join('\n'), 'latin1'));
  });
  refused(['data', 'inspect', latin], `${path.join(latin, 'text_c10', cls, capFile)}:2: not UTF-8 (looks like Latin-1: byte 0xE8 at column 19); save the caption file as UTF-8`);

  const hex = damaged('hex', (r) => {
    const f = path.join(r, 'image_class_labels.txt');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^2 /m, '0x2 '));
  });
  refused(['data', 'inspect', hex], `${path.join(hex, 'image_class_labels.txt')}:2: image_id must be a decimal integer, got '0x2'`);

  const dup = damaged('dup-part', (r) => {
    const f = path.join(r, 'parts', 'parts.txt');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^3 belly$/m, '3 beak'));
  });
  refused(['data', 'inspect', dup], `${path.join(dup, 'parts', 'parts.txt')}:3: duplicate part name 'beak' (first on part id 2)`);
});

test('gawwn embed --encoder pretrained:text-birds works and keeps its cache in the user cache folder', () => {
  const cache = path.join(T, 'xdg');
  const r = gawwn(['embed', '--encoder', 'pretrained:text-birds', 'a small red bird'], { XDG_CACHE_HOME: cache, GAWWN_CACHE_DIR: '' });
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { dim: number; embeddings: { caption: string; vector: number[] }[] };
  assert.equal(j.embeddings[0].caption, 'a small red bird');
  assert.equal(j.embeddings[0].vector.length, j.dim);
  assert.ok(j.embeddings[0].vector.every(Number.isFinite) && j.embeddings[0].vector.some((v) => v !== 0));
  const files = fs.readdirSync(path.join(cache, 'gawwn', 'embeddings'));
  assert.equal(files.length, 1);
  assert.match(files[0], /^[0-9a-f]{16}\.emb$/);
});
