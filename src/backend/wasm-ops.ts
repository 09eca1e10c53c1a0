/**
 * A thin, typed way to call registered wasm kernel functions from inside another kernel, the way the wasm
 * backend's own kernels compose (e.g. its BatchMatMul calls its Reshape): intermediates stay backend data
 * (no engine tensors, nothing for tf.tidy to track), and every intermediate is freed with
 * `backend.disposeData` before the composite kernel returns.
 */
import * as tf from '@tensorflow/tfjs';
import { GawwnError } from '../util/errors.js';

type DataId = object;
type TensorInfo = tf.TensorInfo;
type DataType = tf.DataType;

/** The part of tfjs-backend-wasm's `BackendWasm` these kernels use (kept structural: no deep imports). */
export interface WasmBackendLike {
  disposeData(dataId: DataId, force?: boolean): boolean;
  numDataIds(): number;
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: DataId): void;
}

/** A kernel function as stored in tfjs's registry, with the backend typed as the wasm one. */
export type WasmKernelFunc = (args: { inputs: unknown; backend: WasmBackendLike; attrs?: unknown }) => TensorInfo | TensorInfo[];

/** Looks a kernel up in tfjs's registry for 'wasm' (throws when missing, naming it). */
export function wasmKernel(name: string): WasmKernelFunc {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) throw new GawwnError(`wasm kernel '${name}' is not registered (is @tensorflow/tfjs-backend-wasm loaded?)`);
  return k.kernelFunc as unknown as WasmKernelFunc;
}

/**
 * Records intermediates created through it and frees them all in `done(result)`, except the result.
 * Each recorded TensorInfo is disposed exactly once: a Reshape shares its input's dataId but increments its
 * refCount, so freeing both the reshape and its source is the correct bookkeeping.
 */
export class WasmScope {
  private readonly made: TensorInfo[] = [];
  private readonly kernels = new Map<string, WasmKernelFunc>();

  constructor(readonly backend: WasmBackendLike) {}

  private run(name: string, inputs: unknown, attrs?: unknown): TensorInfo {
    let k = this.kernels.get(name);
    if (k === undefined) {
      k = wasmKernel(name);
      this.kernels.set(name, k);
    }
    const out = k({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new GawwnError(`wasm kernel '${name}' returned several outputs; expected one`);
    this.made.push(out);
    return out;
  }

  /** Adopts a TensorInfo created elsewhere (e.g. by `backend.makeOutput`) so `done` frees it. */
  adopt(t: TensorInfo): TensorInfo {
    this.made.push(t);
    return t;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  pad(x: TensorInfo, paddings: Array<[number, number]>): TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  reverse(x: TensorInfo, dims: number[]): TensorInfo {
    return this.run('Reverse', { x }, { dims });
  }

  /** NHWC conv2d, stride/dilation as [h, w]; `pad` as tfjs accepts it (explicit form [[0,0],[t,b],[l,r],[0,0]]). */
  conv2d(
    x: TensorInfo,
    filter: TensorInfo,
    strides: [number, number],
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
    dilations: [number, number] = [1, 1],
  ): TensorInfo {
    return this.run('Conv2D', { x, filter }, { strides, pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined });
  }

  batchMatMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA, transposeB });
  }

  /** Frees every recorded intermediate except `keep` (which the caller returns to the engine). */
  done(keep: TensorInfo | null): void {
    for (const t of this.made) if (t !== keep) this.backend.disposeData(t.dataId);
    this.made.length = 0;
  }
}
