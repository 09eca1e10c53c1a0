/**
 * Training checkpoints that survive `kill -9` and refuse to load what they are not. The original saved `name_epoch_net_G.t7` / `_net_D.t7` every `save_every` epochs with no
 * optimiser or RNG state (gawwn-reference §5); here one checkpoint holds everything needed to continue:
 *
 *   RUN/checkpoints/step-000123/manifest.json   format, model family, preset, resolved config, step, epoch,
 *                                               RNG state, tensor table, per-file size + SHA-256, extra JSON
 *   RUN/checkpoints/step-000123/weights.bin     all tensors, raw little-endian, in the table's order
 *   RUN/checkpoints/latest                      "step-000123": the last checkpoint written completely
 *
 * Each step directory is written with `writeDirAtomic`, so it exists complete or not at all; `latest` is
 * replaced atomically after it. `latest` is for people and tools: resuming scans the step directories and
 * verifies them, so a kill between the rename and the update of `latest` loses nothing. The API works on plain `{name, shape, data}` tensors in named groups
 * (G, D, optimiser slots …), so it does not depend on the model code; small helpers below move weights
 * between those and tf.LayersModel / tf.Optimizer. The same container, with optional float16 storage,
 * holds the shipped pretrained weights (`exportWeights` / `importWeights`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { writeDirAtomic, writeFileAtomic, removeStaleTemporaries, TMP_MARKER } from '../util/atomic.js';
import { GawwnError } from '../util/errors.js';
import { toFloat16Array, fromFloat16Array } from '../util/float16.js';
import type { RngState } from '../util/rng.js';

/** `format` field of a checkpoint manifest. */
export const CHECKPOINT_FORMAT = 'gawwn-checkpoint';
/** `format` field of an exported-weights manifest (data/pretrained/). */
export const WEIGHTS_FORMAT = 'gawwn-weights';
/** Version of both layouts; bumped on any incompatible change. Readers refuse other versions. */
export const FORMAT_VERSION = 1;
/** Checkpoints kept by default (older ones are deleted after a successful save). */
export const DEFAULT_KEEP = 3;

const MANIFEST = 'manifest.json';
const WEIGHTS = 'weights.bin';
const LATEST = 'latest';
const STEP_DIR = /^step-(\d+)$/;

/** A tensor as plain data. `data` is Float32Array for float32 tensors, Int32Array for int32 (Adam's `iter`). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Tensors in named groups, e.g. `{G: …, D: …, optG: …, optD: …}`. Names are unique within a group. */
export type TensorGroups = Record<string, NamedTensor[]>;

/** How a tensor is stored in weights.bin. */
export type StoredDtype = 'float32' | 'int32' | 'float16';

/** Everything a trainer needs to continue a run. */
export interface CheckpointState {
  /** Network family, e.g. 'bbox' | 'keypoint' | 'keypoint-gen' | 'gan-int-cls'. */
  modelFamily: string;
  /** Preset the config was resolved from. */
  preset: string;
  /** The resolved config (plain JSON object). */
  config: object;
  /** Optimisation steps completed (the next step to run is `step + 1`). */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** State of the run's Rng after `step` (`Rng.state()`). */
  rng: RngState;
  /** Weights and optimiser slots. */
  groups: TensorGroups;
  /** Optional JSON payload, e.g. the tail of the loss history or the current learning rate. */
  extra?: unknown;
}

/** One row of the tensor table. `offset`/`byteLength` locate it in weights.bin. */
export interface TensorEntry {
  group: string;
  name: string;
  shape: number[];
  dtype: StoredDtype;
  offset: number;
  byteLength: number;
}

/** Size and SHA-256 of one file of the artefact. */
export interface FileEntry {
  name: string;
  bytes: number;
  sha256: string;
}

/** Fields shared by checkpoint and exported-weights manifests. */
interface ManifestBase {
  format: string;
  formatVersion: number;
  byteOrder: 'little';
  createdAt: string;
  files: FileEntry[];
  tensors: TensorEntry[];
  /** SHA-256 of the manifest's compact JSON without this field: detects edits to the manifest itself. */
  manifestSha256: string;
}

/** manifest.json of a checkpoint. */
export interface CheckpointManifest extends ManifestBase {
  modelFamily: string;
  preset: string;
  config: object;
  step: number;
  epoch: number;
  rng: RngState;
  extra?: unknown;
}

/** A checkpoint read back and verified. */
export interface LoadedCheckpoint extends CheckpointState {
  /** Its step directory. */
  dir: string;
  manifest: CheckpointManifest;
}

/** What the caller is about to train; a checkpoint of anything else is refused. */
export interface CheckpointExpectation {
  modelFamily: string;
  preset: string;
}

/** Options of `saveCheckpoint`. */
export interface SaveOptions {
  /** Complete checkpoints to keep, newest first. Default DEFAULT_KEEP. */
  keep?: number;
  /**
   * Also keep every checkpoint whose step is a multiple of this (0 = none, the default), so a checkpoint picked
   * later on validation conditions (`gawwn eval curve`) is still there to publish.
   */
  keepEvery?: number;
  /** Receives one-line warnings (stale checkpoints removed). Default: stderr. */
  warn?: (msg: string) => void;
}

/** Options of the functions that scan a run. */
export interface ScanOptions {
  /** Receives one-line warnings (a corrupt checkpoint skipped). Default: stderr. */
  warn?: (msg: string) => void;
}

const defaultWarn = (msg: string): void => {
  process.stderr.write(`gawwn: warning: ${msg}\n`);
};

/** RUN/checkpoints. */
export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

/** `step-000123` (six digits, more when needed, so names sort like steps up to 999999). */
export function stepDirName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/**
 * Writes a checkpoint of `state` under RUN/checkpoints/step-NNNNNN atomically, points `latest` at it, and
 * deletes all but the newest `keep` checkpoints, plus any with a larger step (left by a run that was resumed
 * from an earlier checkpoint: that timeline was abandoned). Temporaries of killed writers are removed first.
 * Refuses (GawwnError) tensors containing NaN/Inf, so a diverged run never replaces its last good checkpoint.
 * Returns the step directory.
 */
export async function saveCheckpoint(runDir: string, state: CheckpointState, opts: SaveOptions = {}): Promise<string> {
  const keep = opts.keep ?? DEFAULT_KEEP;
  const keepEvery = opts.keepEvery ?? 0;
  const warn = opts.warn ?? defaultWarn;
  checkArg(Number.isInteger(keep) && keep >= 1, `keep must be an integer >= 1, got ${keep}`);
  checkArg(Number.isInteger(keepEvery) && keepEvery >= 0, `keepEvery must be an integer >= 0, got ${keepEvery}`);
  checkArg(Number.isInteger(state.step) && state.step >= 0, `step must be an integer >= 0, got ${state.step}`);
  checkArg(Number.isInteger(state.epoch) && state.epoch >= 0, `epoch must be an integer >= 0, got ${state.epoch}`);
  checkArg(typeof state.modelFamily === 'string' && state.modelFamily !== '', 'modelFamily must be a non-empty string');
  checkArg(typeof state.preset === 'string' && state.preset !== '', 'preset must be a non-empty string');
  checkArg(state.config !== null && typeof state.config === 'object', 'config must be an object');
  checkRngState(state.rng);
  for (const [group, tensors] of Object.entries(state.groups)) {
    for (const t of tensors) {
      if (t.data instanceof Float32Array && !allFinite(t.data)) {
        throw new GawwnError(`refusing to save checkpoint at step ${state.step}: tensor ${group}/${t.name} contains NaN or Infinity`);
      }
    }
  }
  const ckDir = checkpointsDir(runDir);
  await fs.promises.mkdir(ckDir, { recursive: true });
  await removeStaleTemporaries(ckDir);

  const { bin, entries } = packTensors(state.groups, () => undefined);
  const fields = {
    format: CHECKPOINT_FORMAT,
    formatVersion: FORMAT_VERSION,
    byteOrder: 'little' as const,
    createdAt: new Date().toISOString(),
    modelFamily: state.modelFamily,
    preset: state.preset,
    config: state.config,
    step: state.step,
    epoch: state.epoch,
    rng: { s: [...state.rng.s], spare: state.rng.spare },
    ...(state.extra === undefined ? {} : { extra: state.extra }),
    files: [{ name: WEIGHTS, bytes: bin.byteLength, sha256: sha256(bin) }],
    tensors: entries,
  };
  const name = stepDirName(state.step);
  const dir = path.join(ckDir, name);
  await writeDirAtomic(dir, { [WEIGHTS]: bin, [MANIFEST]: manifestText(fields) });
  await writeFileAtomic(path.join(ckDir, LATEST), `${name}\n`);
  await prune(ckDir, state.step, keep, keepEvery, warn);
  return dir;
}

/**
 * Reads and verifies the checkpoint in `dir` (a step directory): format and version, the manifest's own hash,
 * each file's size (truncation) and SHA-256 (tampering), the tensor table; then, when `expect` is given, that
 * it is of the expected model family and preset. Every failure is a GawwnError naming the file.
 */
export async function loadCheckpoint(dir: string, expect?: CheckpointExpectation): Promise<LoadedCheckpoint> {
  const { manifest, groups } = await readArtefact(dir, CHECKPOINT_FORMAT, (m) => {
    const mm = m as Partial<CheckpointManifest>;
    const file = path.join(dir, MANIFEST);
    for (const k of ['modelFamily', 'preset'] as const) {
      if (typeof mm[k] !== 'string') throw new GawwnError(`field '${k}' is missing or not a string`, { file });
    }
    for (const k of ['step', 'epoch'] as const) {
      if (!Number.isInteger(mm[k]) || (mm[k] as number) < 0) throw new GawwnError(`field '${k}' is not an integer >= 0`, { file });
    }
    if (mm.config === null || typeof mm.config !== 'object') throw new GawwnError(`field 'config' is not an object`, { file });
    try {
      checkRngState(mm.rng as RngState);
    } catch (e) {
      throw new GawwnError(`field 'rng' is invalid: ${(e as Error).message}`, { file });
    }
    if (expect !== undefined) checkExpectation(dir, mm as CheckpointManifest, expect);
  });
  const m = manifest as CheckpointManifest;
  return {
    dir,
    manifest: m,
    modelFamily: m.modelFamily,
    preset: m.preset,
    config: m.config,
    step: m.step,
    epoch: m.epoch,
    rng: { s: [m.rng.s[0], m.rng.s[1], m.rng.s[2], m.rng.s[3]], spare: m.rng.spare },
    groups,
    ...(m.extra === undefined ? {} : { extra: m.extra }),
  };
}

/** The step directories of a run, by increasing step (complete or not: they are not verified here). */
export async function listCheckpoints(runDir: string): Promise<{ dir: string; step: number }[]> {
  const ckDir = checkpointsDir(runDir);
  let names: string[];
  try {
    names = await fs.promises.readdir(ckDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') throw new GawwnError('is not a run directory (it is a file)', { file: fs.statSync(runDir).isFile() ? runDir : ckDir });
    throw e;
  }
  const out: { dir: string; step: number }[] = [];
  for (const n of names) {
    const m = STEP_DIR.exec(n);
    if (m !== null) out.push({ dir: path.join(ckDir, n), step: Number(m[1]) });
  }
  return out.sort((a, b) => a.step - b.step);
}

/**
 * For `--resume`: the newest checkpoint of the run that verifies completely, skipping (with a warning) newer
 * ones that are incomplete or corrupt. Null when the run has no checkpoint at all; a GawwnError when it has
 * some but none is valid (resuming from scratch then would silently throw work away).
 */
export async function findLatestCheckpoint(runDir: string, opts: ScanOptions = {}): Promise<string | null> {
  const found = await loadLatest(runDir, undefined, opts);
  return found === null ? null : found.dir;
}

/**
 * `findLatestCheckpoint` + `loadCheckpoint` in one pass (each file is read once). A checkpoint of another
 * model family or preset is an error, not a reason to fall back: the caller pointed at the wrong run.
 */
export async function loadLatest(runDir: string, expect?: CheckpointExpectation, opts: ScanOptions = {}): Promise<LoadedCheckpoint | null> {
  const warn = opts.warn ?? defaultWarn;
  const candidates = (await listCheckpoints(runDir)).reverse();
  if (candidates.length === 0) return null;
  const problems: string[] = [];
  for (const c of candidates) {
    let loaded: LoadedCheckpoint;
    try {
      loaded = await loadCheckpoint(c.dir);
    } catch (e) {
      if (!(e instanceof GawwnError)) throw e;
      warn(`skipping checkpoint ${c.dir}: ${e.message}`);
      problems.push(e.message);
      continue;
    }
    if (expect !== undefined) checkExpectation(c.dir, loaded.manifest, expect);
    return loaded;
  }
  throw new GawwnError(`no complete checkpoint in ${checkpointsDir(runDir)}: ${problems.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------------------
// tf.LayersModel / tf.Optimizer <-> NamedTensor

/** Copies of all weights of `model` (trainable and not, e.g. BN moving statistics), named as `model.weights`. */
export async function extractModelWeights(model: tf.LayersModel): Promise<NamedTensor[]> {
  const values = model.getWeights(); // the variables themselves: read, never dispose
  const out: NamedTensor[] = [];
  for (let i = 0; i < values.length; i++) {
    out.push(await toNamed(model.weights[i].name, values[i]));
  }
  return out;
}

/**
 * Sets `model`'s weights from `tensors`. Matched by name when every name is present; otherwise by position
 * when the names agree up to tfjs's auto-numbering (`dense_Dense3/kernel` vs `dense_Dense1/kernel`,
 * `head/kernel_1` vs `head/kernel`), which differs between processes building layers in another order.
 * Shapes must agree exactly. `source` names the checkpoint in errors.
 */
export function assignModelWeights(model: tf.LayersModel, tensors: readonly NamedTensor[], source = 'checkpoint'): void {
  const weights = model.weights;
  if (tensors.length !== weights.length) {
    throw new GawwnError(`${source} has ${tensors.length} weight tensors, the model '${model.name}' has ${weights.length}`);
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  let ordered: NamedTensor[];
  if (byName.size === tensors.length && weights.every((w) => byName.has(w.name))) {
    ordered = weights.map((w) => byName.get(w.name) as NamedTensor);
  } else {
    for (let i = 0; i < weights.length; i++) {
      if (canonicalWeightName(weights[i].name) !== canonicalWeightName(tensors[i].name)) {
        throw new GawwnError(`${source} weight ${i} is '${tensors[i].name}', the model '${model.name}' expects '${weights[i].name}'`);
      }
    }
    ordered = tensors.slice();
  }
  for (let i = 0; i < weights.length; i++) {
    if (!sameShape(weights[i].shape, ordered[i].shape)) {
      throw new GawwnError(
        `${source} weight '${ordered[i].name}' has shape [${ordered[i].shape}], the model '${model.name}' expects [${weights[i].shape}]`,
      );
    }
    if (!(ordered[i].data instanceof Float32Array)) throw new GawwnError(`${source} weight '${ordered[i].name}' is not float32`);
  }
  // setWeights assigns into the variables (which keep their own reference), so the temporaries can go.
  tf.tidy(() => model.setWeights(ordered.map((t) => tf.tensor(t.data, t.shape, 'float32'))));
}

/** Copies of an optimiser's state (tfjs order; for Adam: `iter` (int32), first moments, second moments). */
export async function extractOptimizerWeights(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  const ws = await optimizer.getWeights();
  const out: NamedTensor[] = [];
  for (const w of ws) {
    out.push(await toNamed(w.name, w.tensor));
    // `iter` is a fresh scalar; the slots are the optimiser's live variables and must stay.
    if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  }
  return out;
}

/**
 * Restores an optimiser's state saved by `extractOptimizerWeights`. Call it on a freshly built optimiser
 * (tfjs's `setWeights` replaces the slot variables without disposing old ones). Slots are positional, as in
 * tfjs: the trainer must pass gradients in the same variable order as the run that saved them.
 */
export async function assignOptimizerWeights(optimizer: tf.Optimizer, tensors: readonly NamedTensor[]): Promise<void> {
  const ts = tensors.map((t) => ({ name: t.name, tensor: tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32') }));
  try {
    await optimizer.setWeights(ts);
  } finally {
    // The optimiser's new variables share the data (reference counted), so ours can be released.
    for (const t of ts) t.tensor.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shipped weights (data/pretrained/): the same container, optionally float16.

/** Options of `exportWeights`. */
export interface ExportOptions {
  /** Storage type of float tensors. float16 halves the size (≤ 60 MB shipped). Default float32. */
  dtype?: 'float32' | 'float16';
  /** JSON stored in the manifest: model family, preset, config, training command, losses … */
  meta?: Record<string, unknown>;
}

/** Manifest of exported weights. */
export interface WeightsManifest extends ManifestBase {
  dtype: 'float32' | 'float16';
  meta: Record<string, unknown>;
}

/**
 * Writes weights for shipping into directory `dir` (manifest.json + weights.bin, atomically). `source` is a
 * model (stored as group 'model') or named groups of models / plain tensors. int32 tensors stay int32.
 */
export async function exportWeights(
  source: tf.LayersModel | Record<string, tf.LayersModel | NamedTensor[]>,
  dir: string,
  opts: ExportOptions = {},
): Promise<void> {
  const dtype = opts.dtype ?? 'float32';
  checkArg(dtype === 'float32' || dtype === 'float16', `dtype must be 'float32' or 'float16', got '${dtype}'`);
  const entries = source instanceof tf.LayersModel ? { model: source } : source;
  const groups: TensorGroups = {};
  for (const [g, v] of Object.entries(entries)) groups[g] = v instanceof tf.LayersModel ? await extractModelWeights(v) : v;
  for (const [g, ts] of Object.entries(groups)) {
    for (const t of ts) {
      if (t.data instanceof Float32Array && !allFinite(t.data)) throw new GawwnError(`refusing to export ${g}/${t.name}: it contains NaN or Infinity`);
      if (dtype === 'float16' && t.data instanceof Float32Array) {
        for (let i = 0; i < t.data.length; i++) {
          if (Math.abs(t.data[i]) > 65504) throw new GawwnError(`cannot store ${g}/${t.name} as float16: value ${t.data[i]} exceeds 65504`);
        }
      }
    }
  }
  const { bin, entries: table } = packTensors(groups, (t) => (dtype === 'float16' && t.data instanceof Float32Array ? 'float16' : undefined));
  const fields = {
    format: WEIGHTS_FORMAT,
    formatVersion: FORMAT_VERSION,
    byteOrder: 'little' as const,
    createdAt: new Date().toISOString(),
    dtype,
    meta: opts.meta ?? {},
    files: [{ name: WEIGHTS, bytes: bin.byteLength, sha256: sha256(bin) }],
    tensors: table,
  };
  await writeDirAtomic(dir, { [WEIGHTS]: bin, [MANIFEST]: manifestText(fields) });
}

/** Exported weights read back (float16 widened to float32). */
export interface ImportedWeights {
  manifest: WeightsManifest;
  meta: Record<string, unknown>;
  groups: TensorGroups;
}

/**
 * Reads weights written by `exportWeights`, verifying sizes and checksums. With `into`, also assigns them:
 * a model receives group 'model'; a record of models receives the groups of the same names.
 */
export async function importWeights(dir: string, opts: { into?: tf.LayersModel | Record<string, tf.LayersModel> } = {}): Promise<ImportedWeights> {
  const { manifest, groups } = await readArtefact(dir, WEIGHTS_FORMAT, (m) => {
    const meta = (m as Partial<WeightsManifest>).meta;
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
      throw new GawwnError(`field 'meta' is not an object`, { file: path.join(dir, MANIFEST) });
    }
  });
  const wm = manifest as WeightsManifest;
  if (opts.into !== undefined) {
    const targets = opts.into instanceof tf.LayersModel ? { model: opts.into } : opts.into;
    for (const [g, model] of Object.entries(targets)) {
      const ts = groups[g];
      if (ts === undefined) throw new GawwnError(`weights in ${dir} have no group '${g}' (groups: ${Object.keys(groups).join(', ')})`);
      assignModelWeights(model, ts, `weights ${dir} group '${g}'`);
    }
  }
  return { manifest: wm, meta: wm.meta, groups };
}

// ---------------------------------------------------------------------------------------------------------
// internals

function checkArg(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new GawwnError(msg);
}

function checkRngState(rng: RngState): void {
  const ok =
    rng !== null &&
    typeof rng === 'object' &&
    Array.isArray(rng.s) &&
    rng.s.length === 4 &&
    rng.s.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff) &&
    (rng.spare === null || typeof rng.spare === 'number');
  if (!ok) throw new GawwnError('rng must be an Rng state {s: [4 uint32], spare: number|null}');
}

function checkExpectation(dir: string, m: CheckpointManifest, expect: CheckpointExpectation): void {
  if (m.modelFamily !== expect.modelFamily || m.preset !== expect.preset) {
    throw new GawwnError(
      `checkpoint ${dir} is of model ${m.modelFamily} preset ${m.preset}, expected ${expect.modelFamily} preset ${expect.preset}`,
    );
  }
}

function allFinite(xs: Float32Array): boolean {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) return false;
  return true;
}

function sameShape(a: readonly (number | null)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A weight name with tfjs's per-process numbering removed. */
function canonicalWeightName(name: string): string {
  return name.replace(/_\d+$/, '').replace(/\d+/g, '#');
}

async function toNamed(name: string, t: tf.Tensor): Promise<NamedTensor> {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new GawwnError(`tensor '${name}' has dtype ${t.dtype}; only float32 and int32 are stored`);
  const values = await t.data();
  // Copy: some backends hand out their own backing store.
  const data = t.dtype === 'int32' ? Int32Array.from(values as Int32Array) : Float32Array.from(values as Float32Array);
  return { name, shape: t.shape.slice(), data };
}

function bytesPer(dtype: StoredDtype): number {
  return dtype === 'float16' ? 2 : 4;
}

/** Lays all tensors end to end. `storeAs` may narrow a float32 tensor to float16. */
function packTensors(groups: TensorGroups, storeAs: (t: NamedTensor) => 'float16' | undefined): { bin: Buffer; entries: TensorEntry[] } {
  checkArg(os.endianness() === 'LE', 'checkpoints are little-endian; this machine is big-endian');
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [group, tensors] of Object.entries(groups)) {
    checkArg(group !== '', 'group names must be non-empty');
    const seen = new Set<string>();
    for (const t of tensors) {
      checkArg(typeof t.name === 'string' && t.name !== '', `group '${group}': tensor names must be non-empty strings`);
      checkArg(!seen.has(t.name), `group '${group}': tensor name '${t.name}' appears twice`);
      seen.add(t.name);
      checkArg(Array.isArray(t.shape) && t.shape.every((d) => Number.isInteger(d) && d >= 0), `${group}/${t.name}: shape [${t.shape}] is not a list of integers >= 0`);
      const size = t.shape.reduce((a, b) => a * b, 1);
      checkArg(t.data instanceof Float32Array || t.data instanceof Int32Array, `${group}/${t.name}: data must be a Float32Array or Int32Array`);
      checkArg(t.data.length === size, `${group}/${t.name}: ${t.data.length} values for shape [${t.shape}] (${size})`);
      const dtype: StoredDtype = storeAs(t) ?? (t.data instanceof Int32Array ? 'int32' : 'float32');
      const bytes =
        dtype === 'float16'
          ? new Uint8Array(toFloat16Array(t.data).buffer)
          : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      entries.push({ group, name: t.name, shape: t.shape.slice(), dtype, offset, byteLength: bytes.byteLength });
      chunks.push(bytes);
      offset += bytes.byteLength;
    }
  }
  return { bin: Buffer.concat(chunks, offset), entries };
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Pretty JSON (diffable, and parse errors get a line number) ending with its own hash. */
function manifestText(fields: Record<string, unknown>): string {
  const manifestSha256 = sha256(JSON.stringify(fields));
  return JSON.stringify({ ...fields, manifestSha256 }, null, 1) + '\n';
}

/** The 1-based line of a JSON.parse error, when V8 reports a position (or the end). */
function jsonErrorLine(text: string, err: Error): number | undefined {
  const m = /at position (\d+)/.exec(err.message);
  if (m !== null) return text.slice(0, Number(m[1])).split('\n').length;
  if (/end of JSON input/.test(err.message)) return text.split('\n').length;
  return undefined;
}

/** Reads manifest.json + weights.bin of `dir`, verifying everything generic; `checkFields` adds the rest. */
async function readArtefact(
  dir: string,
  format: string,
  checkFields: (m: Record<string, unknown>) => void,
): Promise<{ manifest: ManifestBase; groups: TensorGroups }> {
  const mfile = path.join(dir, MANIFEST);
  let text: string;
  try {
    text = await fs.promises.readFile(mfile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new GawwnError(fs.existsSync(dir) ? 'missing (incomplete or not a gawwn checkpoint/weights directory)' : 'not found', {
        file: fs.existsSync(dir) ? mfile : dir,
      });
    }
    throw new GawwnError(`cannot read: ${(e as Error).message}`, { file: mfile });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new GawwnError(`not valid JSON (truncated or edited?): ${(e as Error).message}`, { file: mfile, line: jsonErrorLine(text, e as Error) });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new GawwnError('not a JSON object', { file: mfile });
  const m = raw as Record<string, unknown>;
  if (m.format !== format) throw new GawwnError(`format is '${String(m.format)}', expected '${format}'`, { file: mfile });
  if (m.formatVersion !== FORMAT_VERSION) {
    throw new GawwnError(`format version ${String(m.formatVersion)} is not supported (this gawwn reads version ${FORMAT_VERSION})`, { file: mfile });
  }
  const { manifestSha256, ...fields } = m;
  if (manifestSha256 !== sha256(JSON.stringify(fields))) {
    throw new GawwnError('checksum mismatch: the manifest was edited or corrupted', { file: mfile });
  }
  if (m.byteOrder !== 'little') throw new GawwnError(`byte order '${String(m.byteOrder)}' is not supported`, { file: mfile });
  if (!Array.isArray(m.files) || !Array.isArray(m.tensors)) throw new GawwnError("fields 'files' and 'tensors' must be arrays", { file: mfile });
  checkFields(m);

  // Every listed file: present, full size, same hash.
  const contents = new Map<string, Buffer>();
  for (const f of m.files as FileEntry[]) {
    if (typeof f?.name !== 'string' || f.name !== path.basename(f.name) || !Number.isInteger(f.bytes) || typeof f.sha256 !== 'string') {
      throw new GawwnError(`bad entry in 'files': ${JSON.stringify(f)}`, { file: mfile });
    }
    const file = path.join(dir, f.name);
    let buf: Buffer;
    try {
      buf = await fs.promises.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new GawwnError('missing (incomplete checkpoint?)', { file });
      throw new GawwnError(`cannot read: ${(e as Error).message}`, { file });
    }
    if (buf.byteLength < f.bytes) throw new GawwnError(`truncated: ${buf.byteLength} of ${f.bytes} bytes`, { file });
    if (buf.byteLength > f.bytes) throw new GawwnError(`has ${buf.byteLength} bytes, the manifest says ${f.bytes}`, { file });
    const h = sha256(buf);
    if (h !== f.sha256) throw new GawwnError(`checksum mismatch (sha256 ${h.slice(0, 12)}…, manifest ${f.sha256.slice(0, 12)}…): the file was modified or corrupted`, { file });
    contents.set(f.name, buf);
  }
  const bin = contents.get(WEIGHTS);
  if (bin === undefined) throw new GawwnError(`'files' does not list ${WEIGHTS}`, { file: mfile });

  const groups: TensorGroups = {};
  for (const e of m.tensors as TensorEntry[]) {
    const ok =
      e !== null &&
      typeof e === 'object' &&
      typeof e.group === 'string' &&
      typeof e.name === 'string' &&
      Array.isArray(e.shape) &&
      e.shape.every((d) => Number.isInteger(d) && d >= 0) &&
      (e.dtype === 'float32' || e.dtype === 'int32' || e.dtype === 'float16') &&
      Number.isInteger(e.offset) &&
      e.offset >= 0 &&
      e.byteLength === e.shape.reduce((a, b) => a * b, 1) * bytesPer(e.dtype) &&
      e.offset + e.byteLength <= bin.byteLength;
    if (!ok) throw new GawwnError(`bad entry in 'tensors': ${JSON.stringify(e)}`, { file: mfile });
    // Copy out: Buffer offsets need not be aligned for typed-array views.
    const bytes = new Uint8Array(bin.buffer.slice(bin.byteOffset + e.offset, bin.byteOffset + e.offset + e.byteLength));
    const data =
      e.dtype === 'float32'
        ? new Float32Array(bytes.buffer)
        : e.dtype === 'int32'
          ? new Int32Array(bytes.buffer)
          : fromFloat16Array(new Uint16Array(bytes.buffer));
    (groups[e.group] ??= []).push({ name: e.name, shape: e.shape.slice(), data });
  }
  return { manifest: m as unknown as ManifestBase, groups };
}

/** Deletes checkpoints newer than `step` (abandoned timeline) and all but the newest `keep` and the multiples of `keepEvery`. */
async function prune(ckDir: string, step: number, keep: number, keepEvery: number, warn: (msg: string) => void): Promise<void> {
  const all = await listCheckpoints(path.dirname(ckDir));
  const newer = all.filter((c) => c.step > step);
  for (const c of newer) {
    warn(`removing ${c.dir}: it is newer than the checkpoint just written (step ${step}), from an abandoned run`);
    await removeDir(c.dir);
  }
  const older = all.filter((c) => c.step <= step);
  const milestone = (c: { step: number }): boolean => keepEvery > 0 && c.step % keepEvery === 0;
  for (const c of older.slice(0, Math.max(0, older.length - keep))) if (!milestone(c)) await removeDir(c.dir);
}

/** Renames first (atomic), then deletes: a kill mid-delete leaves a temporary, never a half step directory. */
async function removeDir(dir: string): Promise<void> {
  const doomed = `${dir}${TMP_MARKER}old-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.promises.rename(dir, doomed);
  await fs.promises.rm(doomed, { recursive: true, force: true });
}
