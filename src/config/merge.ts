/**
 * Config merging shared by the GAWWN and GAN-INT-CLS configs (config/resolve.ts, config/gan-int-cls.ts): a deep
 * merge that rejects unknown keys and type mismatches, and a deep freeze. `label` starts every message
 * ('config' or 'GAN-INT-CLS config').
 */
import { GawwnError } from '../util/errors.js';

/** Deep merge into a fresh object; rejects keys the base does not have and type mismatches. */
export function mergeConfig<T>(base: T, over: unknown, what: string, label = 'config', path = ''): T {
  if (over === undefined) return clone(base);
  if (typeof over !== 'object' || over === null || Array.isArray(over)) {
    throw new GawwnError(`${label} ${path === '' ? 'overrides' : `field ${path}`} in ${what} must be an object, got ${JSON.stringify(over)}`);
  }
  const out: Record<string, unknown> = clone(base) as Record<string, unknown>;
  for (const [key, value] of Object.entries(over as Record<string, unknown>)) {
    const field = path === '' ? key : `${path}.${key}`;
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      throw new GawwnError(`unknown ${label} field ${field} in ${what}; valid fields: ${Object.keys(out).map((k) => (path === '' ? k : `${path}.${k}`)).join(', ')}`);
    }
    const current = out[key];
    if (typeof current === 'object' && current !== null) {
      out[key] = mergeConfig(current, value, what, label, field);
    } else if (value === undefined) {
      continue;
    } else if (typeof value !== typeof current) {
      throw new GawwnError(`${label} field ${field} in ${what} must be a ${typeof current}, got ${JSON.stringify(value)}`);
    } else {
      out[key] = value;
    }
  }
  return out as T;
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

export function deepFreeze<T>(x: T): Readonly<T> {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}
