/**
 * arquero 8 is ESM-only; this CommonJS build loads it with `require` (Node >= 20.19 supports require(esm),
 * notebook-tooling.md) and keeps its types.
 */
import type * as Aq from 'arquero' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const aq: typeof Aq = require('arquero');
export type ColumnTable = Aq.ColumnTable;
