import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { installKernel, buildKernelSpec, kernelsDir, findTslab, executeNotebooks, KERNEL_NAME, type KernelSpec } from '../../src/cli/kernel.js';
import { GawwnError } from '../../src/util/errors.js';

const projectRoot = path.resolve(__dirname, '../../..');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-kernel-'));
}

test('--prefix: kernel.json has absolute node and tslab paths, the Jupyter placeholder, name and logos', () => {
  const prefix = tmpdir();
  const r = installKernel({ projectRoot, target: { kind: 'prefix', dir: prefix } });
  assert.equal(r.dir, path.join(prefix, 'share/jupyter/kernels', KERNEL_NAME));
  assert.equal(r.jupyterPath, undefined);
  const spec = JSON.parse(fs.readFileSync(path.join(r.dir, 'kernel.json'), 'utf8')) as KernelSpec;
  assert.deepEqual(spec, r.spec);
  assert.equal(spec.display_name, 'GAWWN (TypeScript)');
  assert.equal(spec.language, 'typescript');
  assert.deepEqual(spec.argv.slice(2), ['kernel', '--config-path', '{connection_file}']);
  const [node, tslab] = spec.argv;
  assert.ok(path.isAbsolute(node) && path.isAbsolute(tslab), spec.argv.join(' '));
  assert.equal(node, process.execPath);
  assert.ok(fs.existsSync(tslab) && tslab.endsWith(path.join('tslab', 'bin', 'tslab')), tslab);
  assert.equal(spec.metadata.gawwn.project, projectRoot);
  assert.deepEqual(spec.env, {});
  assert.deepEqual(fs.readdirSync(r.dir).sort(), ['kernel.json', 'logo-32x32.png', 'logo-64x64.png', 'logo-svg.svg']);
  // Re-installing replaces the directory and leaves no temp folder behind.
  installKernel({ projectRoot, target: { kind: 'prefix', dir: prefix }, backend: 'cpu' });
  assert.deepEqual(fs.readdirSync(path.dirname(r.dir)), [KERNEL_NAME]);
  assert.equal((JSON.parse(fs.readFileSync(path.join(r.dir, 'kernel.json'), 'utf8')) as KernelSpec).env.GAWWN_BACKEND, 'cpu');
  fs.rmSync(prefix, { recursive: true });
});

test('project-local by default: PROJECT/.jupyter/share/jupyter, reported as the JUPYTER_PATH', () => {
  // A throwaway project: the kernel/ template plus a node_modules link, so the real project is untouched.
  const proj = tmpdir();
  fs.cpSync(path.join(projectRoot, 'kernel'), path.join(proj, 'kernel'), { recursive: true });
  fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(proj, 'node_modules'));
  const r = installKernel({ projectRoot: proj, target: { kind: 'project' } });
  assert.equal(r.jupyterPath, path.join(proj, '.jupyter/share/jupyter'));
  assert.equal(r.dir, path.join(proj, '.jupyter/share/jupyter/kernels/gawwn'));
  assert.ok(fs.existsSync(path.join(r.dir, 'kernel.json')));
  assert.equal(r.spec.metadata.gawwn.project, proj);
  fs.rmSync(proj, { recursive: true });
});

test('--user follows jupyter_core: JUPYTER_DATA_DIR, else XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter', () => {
  assert.equal(kernelsDir('/p', { kind: 'user' }, { JUPYTER_DATA_DIR: '/j' }), '/j/kernels');
  assert.equal(kernelsDir('/p', { kind: 'user' }, { XDG_DATA_HOME: '/x' }), '/x/jupyter/kernels');
  assert.equal(kernelsDir('/p', { kind: 'user' }, { HOME: '/h' }), '/h/.local/share/jupyter/kernels');
  const data = tmpdir();
  const r = installKernel({ projectRoot, target: { kind: 'user' }, env: { JUPYTER_DATA_DIR: data } });
  assert.equal(r.dir, path.join(data, 'kernels/gawwn'));
  fs.rmSync(data, { recursive: true });
});

test('errors: unknown backend, missing tslab, missing template', () => {
  assert.throws(() => buildKernelSpec(projectRoot, '/x/tslab', 'tpu'), (e: unknown) => e instanceof GawwnError && /unknown backend 'tpu'/.test(e.message));
  const empty = tmpdir();
  assert.throws(() => findTslab(empty), /tslab is not installed under/);
  assert.throws(() => buildKernelSpec(empty, '/x/tslab'), /cannot read the kernelspec template/);
  fs.rmSync(empty, { recursive: true });
});

test('CLI: gawwn kernel install --prefix writes the spec; --user with --prefix exits 2', () => {
  const prefix = tmpdir();
  const bin = path.join(projectRoot, 'bin/gawwn.js');
  const ok = spawnSync(process.execPath, [bin, 'kernel', 'install', '--prefix', prefix], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /installed kernelspec 'gawwn'/);
  assert.ok(fs.existsSync(path.join(prefix, 'share/jupyter/kernels/gawwn/kernel.json')));
  const bad = spawnSync(process.execPath, [bin, 'kernel', 'install', '--user', '--prefix', prefix], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'gawwn: kernel install: use --user or --prefix, not both\n');
  fs.rmSync(prefix, { recursive: true });
});

test('gawwn kernel execute: runs a notebook in the real kernel and saves outputs; a failing one is left untouched', { timeout: 300_000 }, (t) => {
  const python = process.env.GAWWN_PYTHON || '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import nbclient, nbformat, jupyter_client'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const msg = `Jupyter is not installed for ${python} (Debian packages in .ci/apt-packages.txt)`;
    if (process.env.CI && !['false', '0'].includes(process.env.CI)) assert.fail(msg);
    t.skip(msg);
    return;
  }
  // A throwaway folder with node_modules linked, as tslab resolves itself from the kernel's cwd.
  const dir = tmpdir();
  fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
  const nb = (src: string[]): string => JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: KERNEL_NAME, display_name: 'GAWWN (TypeScript)', language: 'typescript' } },
    cells: src.map((s, i) => ({ id: `c${i}`, cell_type: 'code', source: s, metadata: {}, outputs: [], execution_count: null })),
  });
  const good = path.join(dir, 'good.ipynb');
  const bad = path.join(dir, 'bad.ipynb');
  fs.writeFileSync(good, nb(['const a: number = 6 * 7;', 'console.log(`answer ${a}`);']));
  const badText = nb(['console.log("first");', 'const x: number = "not a number";']);
  fs.writeFileSync(bad, badText);
  const logs: string[] = [];
  executeNotebooks([good], { python, log: (l) => logs.push(l) });
  const out = JSON.parse(fs.readFileSync(good, 'utf8')) as { cells: { execution_count: number; outputs: { text: string | string[] }[] }[] };
  assert.deepEqual(out.cells.map((c) => c.execution_count), [1, 2]);
  assert.equal([out.cells[1].outputs[0].text].flat().join(''), 'answer 42\n');
  assert.match(logs[0], /^executed .*good\.ipynb in \d+\.\d s$/);
  assert.throws(() => executeNotebooks([bad], { python }), (e: unknown) =>
    e instanceof GawwnError && e.file === bad && /execution failed in cell 1: .*Type 'string' is not assignable to type 'number'/s.test(e.message));
  assert.equal(fs.readFileSync(bad, 'utf8'), badText);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['bad.ipynb', 'good.ipynb', 'node_modules']);
  fs.rmSync(dir, { recursive: true });
});
