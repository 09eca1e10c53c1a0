/**
 * `gawwn kernel install`: registers the "GAWWN (TypeScript)" Jupyter kernelspec, a tslab kernel started with
 * absolute paths (node and the project's tslab), so Jupyter finds it whatever its PATH (notebook-tooling §1:
 * a bare `tslab` in argv fails with FileNotFoundError outside `npm run`). Project-local by default
 * (PROJECT/.jupyter/share/jupyter/kernels/gawwn, used with JUPYTER_PATH); `--user`/`--prefix` change global state
 * only when asked. The kernelspec template and logos live in kernel/. `gawwn kernel execute` runs notebooks with
 * it and saves their outputs (for the committed notebooks).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Command } from 'commander';
import { GawwnError, check } from '../util/errors.js';
import { BACKEND_ORDER } from '../backend/select.js';

/** The kernelspec name (notebooks' `metadata.kernelspec.name`). */
export const KERNEL_NAME = 'gawwn';
export const KERNEL_DISPLAY_NAME = 'GAWWN (TypeScript)';

/** Where to install: the project (default), the user's Jupyter data dir, or PREFIX/share/jupyter. */
export type KernelTarget = { kind: 'project' } | { kind: 'user' } | { kind: 'prefix'; dir: string };

export interface KernelInstallOptions {
  /** The project root (holds package.json, kernel/, node_modules/tslab). */
  projectRoot: string;
  target: KernelTarget;
  /** Forces a backend in the kernel's environment (GAWWN_BACKEND); default: the usual order (initBackend). */
  backend?: string;
  /** Environment used to find the user data dir (JUPYTER_DATA_DIR, XDG_DATA_HOME, HOME). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface KernelInstallResult {
  /** The kernelspec directory written (…/kernels/gawwn). */
  dir: string;
  /** The kernel.json written. */
  spec: KernelSpec;
  /** For a project-local install: the value JUPYTER_PATH must have for Jupyter to see the kernel. */
  jupyterPath?: string;
}

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode?: string;
  env: Record<string, string>;
  metadata: { gawwn: { project: string } };
}

/** The project root of this build: dist/src/cli/ → three levels up. */
export function defaultProjectRoot(): string {
  return path.resolve(__dirname, '../../..');
}

/** Absolute path of the project's tslab launcher (`node_modules/tslab/bin/tslab`). */
export function findTslab(projectRoot: string): string {
  let pkg: string;
  try {
    pkg = require.resolve('tslab/package.json', { paths: [projectRoot] });
  } catch {
    throw new GawwnError(`tslab is not installed under ${projectRoot} (run npm ci there)`);
  }
  const bin = path.join(path.dirname(pkg), 'bin', 'tslab');
  check(fs.existsSync(bin), `tslab launcher missing: ${bin}`);
  return bin;
}

/** The Jupyter data dir for the kernelspec, per target (jupyter_core's rules on Linux for `user`). */
export function kernelsDir(projectRoot: string, target: KernelTarget, env: NodeJS.ProcessEnv = process.env): string {
  switch (target.kind) {
    case 'project':
      return path.join(projectRoot, '.jupyter', 'share', 'jupyter', 'kernels');
    case 'prefix':
      return path.join(path.resolve(target.dir), 'share', 'jupyter', 'kernels');
    case 'user': {
      const data = env.JUPYTER_DATA_DIR
        ?? path.join(env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local', 'share'), 'jupyter');
      return path.join(data, 'kernels');
    }
  }
}

/** Fills the kernel/kernel.json template with absolute paths. Pure apart from reading the template. */
export function buildKernelSpec(projectRoot: string, tslabBin: string, backend?: string): KernelSpec {
  const templatePath = path.join(projectRoot, 'kernel', 'kernel.json');
  let template: KernelSpec;
  try {
    template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as KernelSpec;
  } catch (e) {
    throw new GawwnError(`cannot read the kernelspec template: ${(e as Error).message}`, { file: templatePath });
  }
  const fill = (s: string): string => s.replace('@NODE@', process.execPath).replace('@TSLAB@', tslabBin).replace('@PROJECT@', projectRoot);
  const spec: KernelSpec = {
    ...template,
    argv: template.argv.map(fill),
    env: { ...template.env },
    metadata: { gawwn: { project: fill(template.metadata.gawwn.project) } },
  };
  if (backend !== undefined) {
    check((BACKEND_ORDER as readonly string[]).includes(backend), `unknown backend '${backend}'; expected one of ${BACKEND_ORDER.join(', ')}`);
    spec.env.GAWWN_BACKEND = backend;
  }
  return spec;
}

/**
 * Writes the kernelspec directory (kernel.json + logos). The directory is assembled in a temp folder next to
 * it and renamed into place, so an interrupted install leaves no half-written kernelspec.
 */
export function installKernel(opts: KernelInstallOptions): KernelInstallResult {
  const projectRoot = path.resolve(opts.projectRoot);
  const spec = buildKernelSpec(projectRoot, findTslab(projectRoot), opts.backend);
  const parent = kernelsDir(projectRoot, opts.target, opts.env);
  const dir = path.join(parent, KERNEL_NAME);
  const tmp = path.join(parent, `.${KERNEL_NAME}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
    for (const logo of ['logo-32x32.png', 'logo-64x64.png', 'logo-svg.svg']) {
      const src = path.join(projectRoot, 'kernel', logo);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(tmp, logo));
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* parent unusable: nothing was written */ }
    throw new GawwnError(`cannot install the kernelspec in ${parent}: ${(e as Error).message}`);
  }
  const result: KernelInstallResult = { dir, spec };
  if (opts.target.kind === 'project') result.jupyterPath = path.dirname(parent);
  return result;
}

/** Debian's Jupyter python (notebook-tooling §1: pyenv's python3 on PATH has no Jupyter). */
export const DEFAULT_JUPYTER_PYTHON = '/usr/bin/python3';

// Runs with Debian's python: executes one notebook with nbclient (which, unlike `nbconvert --execute`, fills
// execution counts), without timing metadata so saved notebooks diff cleanly; writes only on success.
const EXECUTE_PY = `
import json, os, sys, nbformat
from nbclient import NotebookClient
src, dst, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(src, as_version=4)
for c in nb.cells:
    c.metadata.pop("execution", None)
client = NotebookClient(nb, timeout=timeout, record_timing=False,
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
try:
    client.execute()
except Exception as e:
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any(
        o.get("output_type") == "error" or o.get("name") == "stderr" for o in c.get("outputs", []))]
    cell = failed[-1] if failed else None
    text = "" if cell is None else "".join(
        o.get("text", "") if o.get("name") == "stderr" else o.get("ename", "") + ": " + o.get("evalue", "")
        for o in nb.cells[cell].outputs if o.get("output_type") == "error" or o.get("name") == "stderr")
    print(json.dumps({"ok": False, "cell": cell, "error": (type(e).__name__ + ": " + str(e))[-1500:], "output": text[-1500:]}))
    sys.exit(0)
tmp = dst + ".tmp"
nbformat.write(nb, tmp)
os.replace(tmp, dst)
print(json.dumps({"ok": True}))
`;

/**
 * Executes notebooks in place with the gawwn kernel (installed into a temp prefix, so no Jupyter state changes)
 * and saves their outputs; a notebook whose execution fails is left untouched and reported as a GawwnError.
 */
export function executeNotebooks(files: readonly string[], opts: { projectRoot?: string; python?: string; timeoutSeconds?: number; log?: (line: string) => void } = {}): void {
  const python = opts.python ?? DEFAULT_JUPYTER_PYTHON;
  const probe = spawnSync(python, ['-c', 'import nbclient, nbformat, jupyter_client'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new GawwnError(`Jupyter is not available for ${python} (install the Debian packages jupyter-client python3-nbclient jupyter-nbconvert python3-ipython)`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-kernel-'));
  try {
    const k = installKernel({ projectRoot: opts.projectRoot ?? defaultProjectRoot(), target: { kind: 'prefix', dir: work } });
    const env = { ...process.env, JUPYTER_PATH: path.dirname(path.dirname(k.dir)) };
    for (const file of files) {
      check(fs.existsSync(file), 'notebook not found', { file });
      const t0 = Date.now();
      const r = spawnSync(python, ['-c', EXECUTE_PY, file, file, String(opts.timeoutSeconds ?? 900)], { env, encoding: 'utf8' });
      const last = r.stdout.trim().split('\n').pop() ?? '';
      let status: { ok: boolean; cell?: number | null; error?: string; output?: string };
      try {
        status = JSON.parse(last) as typeof status;
      } catch {
        throw new GawwnError(`execution failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`, { file });
      }
      if (!status.ok) {
        const where = status.cell === null || status.cell === undefined ? '' : ` in cell ${status.cell}`;
        throw new GawwnError(`execution failed${where}: ${(status.output || status.error || '').trim()}`, { file });
      }
      (opts.log ?? ((l: string) => process.stdout.write(l + '\n')))(`executed ${file} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function register(program: Command): void {
  const kernel = program.command('kernel').description('the Jupyter kernel for the notebooks (tslab, TypeScript)');
  kernel
    .command('install')
    .description(`register the "${KERNEL_DISPLAY_NAME}" kernelspec (project-local unless --user or --prefix)`)
    .option('--user', 'install for the current user (~/.local/share/jupyter)')
    .option('--prefix <dir>', 'install into DIR/share/jupyter/kernels')
    .option('--backend <name>', `force a TensorFlow.js backend in the kernel (${BACKEND_ORDER.join(' | ')})`)
    .option('--project <dir>', 'project root (default: this installation)')
    .action((o: { user?: boolean; prefix?: string; backend?: string; project?: string }) => {
      if (o.user && o.prefix !== undefined) throw new GawwnError('kernel install: use --user or --prefix, not both');
      const target: KernelTarget = o.user ? { kind: 'user' } : o.prefix !== undefined ? { kind: 'prefix', dir: o.prefix } : { kind: 'project' };
      const r = installKernel({ projectRoot: o.project ?? defaultProjectRoot(), target, backend: o.backend });
      process.stdout.write(`installed kernelspec '${KERNEL_NAME}' (${KERNEL_DISPLAY_NAME}) in ${r.dir}\n`);
      if (r.jupyterPath !== undefined) {
        process.stdout.write(`project-local: run Jupyter with\n  export JUPYTER_PATH=${r.jupyterPath}\n` +
          `  jupyter notebook notebooks/    # or: jupyter nbconvert --to notebook --execute notebooks/00-quickstart.ipynb\n`);
      }
    });
  kernel
    .command('execute')
    .description('execute notebooks in place with the gawwn kernel and save their outputs (Debian Jupyter)')
    .argument('<notebooks...>', '.ipynb files')
    .option('--python <path>', 'python with Jupyter (nbclient)', DEFAULT_JUPYTER_PYTHON)
    .option('--timeout <seconds>', 'per-cell timeout', '900')
    .action((files: string[], o: { python: string; timeout: string }) => {
      const timeoutSeconds = Number(o.timeout);
      check(Number.isInteger(timeoutSeconds) && timeoutSeconds > 0, `--timeout must be a positive integer, got '${o.timeout}'`);
      executeNotebooks(files, { python: o.python, timeoutSeconds });
    });
}
