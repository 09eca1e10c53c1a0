import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { installKernel, buildKernelSpec, kernelsDir, findTslab, KERNEL_NAME, type KernelSpec } from '../../src/cli/kernel.js';
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
