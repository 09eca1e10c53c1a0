/**
 * A decimal number literal (optionally signed, with fraction and exponent), or null. `Number()` reads '' and ' '
 * as 0 and '0x2' as 2, so a typo in a coordinate became a valid value.
 */
export function strictNumber(s: string): number | null {
  const t = s.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}
