/**
 * `gawwn t7 dump FILE [--json]`: prints a decoded Torch7 file (util/torch7.ts). With --json the whole object
 * as JSON (tensors as {type, shape, data}, shared references/cycles as {"$ref": path}); without, an outline
 * (tensor data elided to type and shape).
 */
import type { Command } from 'commander';
import { readT7File, t7ToJson } from '../util/torch7.js';

export function register(program: Command): void {
  const t7 = program.command('t7').description('Torch7 (.t7) files of the original work');
  t7.command('dump')
    .description('print a decoded .t7 file')
    .argument('<file>', '.t7 file written by torch.save (binary)')
    .option('--json', 'print the full object as JSON (tensor data included)')
    .action((file: string, opts: { json?: boolean }) => {
      const json = t7ToJson(readT7File(file));
      process.stdout.write(opts.json ? JSON.stringify(json) + '\n' : outline(json, '').replace(/^\n/, '') + '\n');
    });
}

/** An indented outline of a t7ToJson value; tensors shown by type and shape only. */
function outline(v: unknown, indent: string): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return v.map((e, i) => `\n${indent}  [${i + 1}] ${outline(e, indent + '  ')}`).join('');
  }
  const o = v as Record<string, unknown>;
  if (typeof o.type === 'string' && Array.isArray(o.shape) && Array.isArray(o.data)) {
    const d = o.data as number[];
    const head = d.slice(0, 4).map((x) => Number(x.toPrecision(6))).join(', ');
    return `${o.type} [${(o.shape as number[]).join('x')}] (${head}${d.length > 4 ? ', …' : ''})`;
  }
  if (typeof o.$ref === 'string') return `<reference to ${o.$ref}>`;
  const keys = Object.keys(o);
  if (keys.length === 0) return '{}';
  return keys.map((k) => `\n${indent}  ${k}: ${outline(o[k], indent + '  ')}`).join('');
}
