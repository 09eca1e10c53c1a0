/**
 * Executes every notebooks/*.ipynb in real Jupyter with the GAWWN kernel: Debian's Jupyter
 * (`/usr/bin/python3 -m nbconvert --to notebook --execute`, notebook-tooling §2) into a temp copy, then exports
 * HTML and screenshots one page in headless chromium (§5). A notebook fails on any cell error, or when its
 * outputs hold no PNG image or no vega-lite chart. Uses the built library (dist/: `npm test` builds first).
 * Without Jupyter/chromium the tests fail in CI (CI=true, .ci/apt-packages.txt installs them) and skip locally.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import sharp from 'sharp';
import { installKernel, KERNEL_NAME } from '../../src/cli/kernel.js';
import { makeTinyModels, type TinyModels } from '../experiments/fixture.js';

const projectRoot = path.resolve(__dirname, '../../..');
const notebooksDir = path.join(projectRoot, 'notebooks');
// Debian's python, not pyenv's python3 on PATH, which has no Jupyter (notebook-tooling §1); GAWWN_PYTHON overrides.
const PYTHON = process.env.GAWWN_PYTHON || '/usr/bin/python3';
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const inCI = !!process.env.CI && !['false', '0'].includes(process.env.CI);
const CELL_TIMEOUT_S = 900;

interface Output { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown>; ename?: string; evalue?: string }
interface Notebook { metadata: { kernelspec?: { name?: string } }; cells: { cell_type: string; source: string | string[]; outputs?: Output[] }[] }

function jupyterMissing(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import nbconvert, nbclient, nbformat, jupyter_client'], { encoding: 'utf8' });
  return r.status === 0 ? null : `Jupyter is not installed for ${PYTHON} (${r.stderr.trim().split('\n').pop()})`;
}

/** Missing tools: a failure in CI, a skip (with the reason) locally. */
function requireTool(t: { skip(msg: string): void }, problem: string | null): boolean {
  if (problem === null) return true;
  const fix = 'install the Debian packages in .ci/apt-packages.txt (jupyter-client python3-nbclient jupyter-nbconvert python3-ipython chromium)';
  if (inCI) assert.fail(`${problem}; CI must ${fix}`);
  t.skip(`${problem}; ${fix} to run this test`);
  return false;
}

const notebooks = fs.existsSync(notebooksDir) ? fs.readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb')).sort() : [];
let work = '';
let env: NodeJS.ProcessEnv = {};
const executed = new Map<string, string>(); // notebook → executed copy

let tiny: TinyModels | undefined;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gawwn-notebooks-'));
  // The kernelspec goes to a temp prefix: the test changes no Jupyter state, not even the project's .jupyter/.
  const k = installKernel({ projectRoot, target: { kind: 'prefix', dir: path.join(work, 'jupyter') } });
  env = { ...process.env, JUPYTER_PATH: path.dirname(path.dirname(k.dir)), PYDEVD_DISABLE_FILE_VALIDATION: '1' };
  // The experiment notebooks run on a models directory (GAWWN_MODELS_DIR): unless one is given, tiny untrained
  // models and small datasets made here (the notebooks' cells are what is tested, not the shipped weights).
  if (!process.env.GAWWN_MODELS_DIR && jupyterMissing() === null) {
    tiny = await makeTinyModels('gawwn-notebook-models-');
    env = { ...env, GAWWN_MODELS_DIR: tiny.modelsDir, GAWWN_BIRDS_DATA: tiny.birds, GAWWN_PEOPLE_DATA: tiny.people };
  }
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
  if (tiny) fs.rmSync(tiny.root, { recursive: true, force: true });
});

test('there are notebooks, they use the gawwn kernel, and the library is built', () => {
  assert.ok(notebooks.length > 0, `no notebooks in ${notebooksDir}`);
  assert.ok(fs.existsSync(path.join(projectRoot, 'dist/src/index.js')), 'dist/src/index.js missing: run npm run build first');
  for (const nb of notebooks) {
    const j = JSON.parse(fs.readFileSync(path.join(notebooksDir, nb), 'utf8')) as Notebook;
    assert.equal(j.metadata.kernelspec?.name, KERNEL_NAME, `${nb}: metadata.kernelspec.name`);
  }
});

function text(t: string | string[] | undefined): string {
  return Array.isArray(t) ? t.join('') : t ?? '';
}

for (const nb of notebooks) {
  test(`notebook ${nb} executes in Jupyter with images and a chart, and exports to HTML`, { timeout: (CELL_TIMEOUT_S + 120) * 1000 }, (t) => {
    if (!requireTool(t, jupyterMissing())) return;
    const src = path.join(notebooksDir, nb);
    const outName = nb.replace(/\.ipynb$/, '.executed.ipynb');
    // Input stays in notebooks/ so the kernel's cwd is notebooks/ and `../dist/src/index` resolves; output goes to temp.
    const args = ['-m', 'nbconvert', '--to', 'notebook', '--execute', `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
      src, '--output-dir', work, '--output', outName];
    const t0 = Date.now();
    const r = spawnSync(PYTHON, args, { env, encoding: 'utf8', cwd: projectRoot });
    if (r.status !== 0) {
      // tslab reports a failing cell as a stderr stream with an empty error (notebook-tooling §2), which
      // nbconvert's message omits: re-run keeping errors, to show what the failing cell printed.
      const again = spawnSync(PYTHON, [...args.slice(0, 4), '--allow-errors', ...args.slice(4)], { env, encoding: 'utf8', cwd: projectRoot });
      let detail = '';
      const out = path.join(work, outName);
      if (again.status === 0 && fs.existsSync(out)) {
        const j = JSON.parse(fs.readFileSync(out, 'utf8')) as Notebook;
        detail = j.cells.flatMap((c, i) => (c.outputs ?? [])
          .filter((o) => o.output_type === 'error' || o.name === 'stderr')
          .map((o) => `cell ${i}: ${o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : text(o.text).slice(0, 1500)}`)).join('\n');
      }
      const at = r.stderr.indexOf('CellExecutionError:');
      const msg = (at >= 0 ? r.stderr.slice(at) : r.stderr).slice(-3000);
      assert.fail(`${nb} failed in Jupyter (nbconvert exit ${r.status}):\n${msg}\n${detail}`);
    }
    const execSeconds = (Date.now() - t0) / 1000;
    const file = path.join(work, outName);
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
    const outputs = j.cells.flatMap((c) => c.outputs ?? []);
    const errors = outputs.filter((o) => o.output_type === 'error');
    assert.deepEqual(errors.map((o) => `${o.ename}: ${o.evalue}`), [], `${nb}: error outputs`);
    const pngs = outputs.filter((o) => o.data?.['image/png'] !== undefined);
    const charts = outputs.filter((o) => o.data?.['application/vnd.vegalite.v5+json'] !== undefined);
    assert.ok(pngs.length > 0, `${nb}: no image/png output`);
    assert.ok(charts.length > 0, `${nb}: no vega-lite chart output`);
    for (const o of pngs) {
      const b = Buffer.from(String(o.data!['image/png']), 'base64');
      assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', `${nb}: image/png output is not a PNG`);
    }
    executed.set(nb, file);

    const h = spawnSync(PYTHON, ['-m', 'nbconvert', '--to', 'html', file, '--output-dir', work], { env, encoding: 'utf8' });
    assert.equal(h.status, 0, `${nb}: HTML export failed:\n${h.stderr.slice(-2000)}`);
    const html = fs.readFileSync(file.replace(/\.ipynb$/, '.html'), 'utf8');
    const imgs = html.match(/<img src="data:image\/png;base64,/g) ?? [];
    assert.ok(imgs.length >= pngs.length, `${nb}: HTML has ${imgs.length} PNG images, the notebook ${pngs.length}`);
    t.diagnostic(`${nb}: executed in ${execSeconds.toFixed(1)} s; ${pngs.length} PNG outputs, ${charts.length} charts`);
  });
}

test('headless chromium screenshot of an exported notebook is not blank', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, jupyterMissing())) return;
  if (!requireTool(t, CHROMIUM ? null : 'chromium is not installed')) return;
  const [nb, file] = [...executed.entries()][0] ?? [];
  assert.ok(file, 'no notebook was executed (see the notebook tests above)');
  const html = file.replace(/\.ipynb$/, '.html');
  const shot = path.join(work, 'screenshot.png');
  const r = spawnSync(CHROMIUM!, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic', `--user-data-dir=${path.join(work, 'chromium-profile')}`,
    '--hide-scrollbars', '--window-size=1000,2000', `--screenshot=${shot}`, `file://${html}`,
  ], { encoding: 'utf8', timeout: 90_000 });
  assert.ok(fs.existsSync(shot), `chromium wrote no screenshot (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 1000);
  // Not blank: pixel variance, and a real share of non-white pixels (rendered text, images and charts).
  const n = info.width * info.height;
  let sum = 0;
  let sq = 0;
  let ink = 0;
  for (let i = 0; i < n; i++) {
    const y = (data[3 * i] + data[3 * i + 1] + data[3 * i + 2]) / 3;
    sum += y;
    sq += y * y;
    if (y < 200) ink++;
  }
  const variance = sq / n - (sum / n) ** 2;
  t.diagnostic(`${nb}: screenshot ${info.width}x${info.height}, luminance variance ${variance.toFixed(0)}, ${(100 * ink / n).toFixed(1)}% ink`);
  assert.ok(variance > 500, `screenshot looks blank: luminance variance ${variance.toFixed(1)}`);
  assert.ok(ink / n > 0.03, `screenshot looks blank: ${(100 * ink / n).toFixed(2)}% non-white pixels`);
});
