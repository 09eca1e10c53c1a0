/**
 * `gawwn kernel install`: registers the "GAWWN (TypeScript)" Jupyter kernelspec, a tslab kernel started with
 * absolute paths (node and the project's tslab), so Jupyter finds it whatever its PATH (notebook-tooling §1:
 * a bare `tslab` in argv fails with FileNotFoundError outside `npm run`). Project-local by default
 * (PROJECT/.jupyter/share/jupyter/kernels/gawwn, used with JUPYTER_PATH); `--user`/`--prefix` change global state
 * only when asked. The kernelspec template and logos live in kernel/.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { GawwnError, check } from '../util/errors.js';
import { BACKEND_ORDER } from '../util/backend.js';

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
}
