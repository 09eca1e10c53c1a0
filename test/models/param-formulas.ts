/**
 * Parameter counts of every GAWWN network derived from the layer formulas of gawwn-reference §2–§4
 * (independently of the builders). Counted: conv and transposed conv k²·in·out + out (bias), Linear
 * in·out + out, batch norm 4·C (γ, β AND the moving mean and variance, which tfjs's countParams includes).
 * Shared modules (prep_txt_g, noise_txt, imgGlobalD, prep_txt_d) are counted once.
 */
export const conv = (k: number, i: number, o: number): number => k * k * i * o + o;
export const dense = (i: number, o: number): number => i * o + o;
export const bn = (c: number): number => 4 * c;
const res = (c: number, m: number): number => conv(1, c, m) + bn(m) + conv(3, m, m) + bn(m) + conv(3, m, c) + bn(c);

export interface Dims {
  ngf: number;
  ndf: number;
  nz: number;
  txtSize: number;
  ntD: number;
  numParts: number;
}

export function bboxG({ ngf: g, nz, txtSize }: Dims): number {
  const prepTxtG = dense(txtSize, 4 * g);
  const txtGlobalG = 3 * (conv(4, 4 * g, 4 * g) + bn(4 * g));
  const global = dense(nz, 4 * g) + conv(4, 8 * g, 8 * g) + bn(8 * g) + conv(4, 8 * g, 4 * g) + bn(4 * g) + conv(4, 4 * g, 2 * g) + bn(2 * g);
  const local = dense(nz, 4 * g) + conv(4, 8 * g, 8 * g) + bn(8 * g) + res(8 * g, 2 * g) + conv(4, 8 * g, 4 * g) + bn(4 * g) + res(4 * g, g) + conv(4, 4 * g, 2 * g) + bn(2 * g);
  const merge = conv(3, 4 * g, 2 * g) + bn(2 * g) + conv(4, 2 * g, g) + bn(g) + conv(4, g, 32) + bn(32) + conv(4, 32, 3);
  return prepTxtG + txtGlobalG + global + local + merge;
}

const imgGlobalD = (d: number): number => conv(4, 3, d) + conv(4, d, d) + conv(4, d, 2 * d) + bn(2 * d) + conv(3, 2 * d, 2 * d) + bn(2 * d);
const head = (d: number): number => dense(2 * d, d) + bn(d) + dense(d, 1);

export function bboxD({ ndf: d, ntD: nt, txtSize }: Dims): number {
  const region = conv(3, 2 * d + nt, 2 * d) + bn(2 * d) + conv(1, 2 * d, 2 * d) + bn(2 * d) + conv(1, 2 * d, d);
  const convGlobal = conv(4, 2 * d, 4 * d) + bn(4 * d) + conv(4, 4 * d, 8 * d) + bn(8 * d);
  const txtGlobal = conv(4, nt, 4 * d) + bn(4 * d) + conv(4, 4 * d, d) + bn(d);
  const global = conv(1, 9 * d, 4 * d) + bn(4 * d) + conv(4, 4 * d, d) + bn(d);
  return imgGlobalD(d) + dense(txtSize, nt) + region + convGlobal + txtGlobal + global + head(d);
}

export function keypointG({ ngf: g, nz, txtSize, numParts: K }: Dims, mhp: boolean): number {
  const noiseTxt = dense(nz, 4 * g) + dense(txtSize, 4 * g);
  const region = dense(8 * g, 4 * g) + (mhp ? 0 : bn(4 * g)) + conv(3, 4 * g, 4 * g) + bn(4 * g) + (mhp ? res(4 * g, g) : 0);
  const locGlobal = conv(4, K, g) + bn(g) + conv(4, g, 2 * g) + bn(2 * g) + conv(4, 2 * g, 4 * g) + bn(4 * g);
  const global = dense(8 * g, 4 * g) + bn(4 * g) + locGlobal + conv(4, 8 * g, 4 * g) + bn(4 * g) + conv(4, 4 * g, 2 * g) + bn(2 * g) + conv(4, 2 * g, g) + bn(g);
  const merge = conv(3, 5 * g + K, 4 * g) + bn(4 * g) + conv(3, 4 * g, 4 * g) + bn(4 * g) + res(4 * g, g) + conv(4, 4 * g, 2 * g) + bn(2 * g) + conv(4, 2 * g, g) + bn(g) + conv(4, g, 3);
  return noiseTxt + region + global + merge;
}

export function keypointD({ ndf: d, ntD: nt, txtSize, numParts: K }: Dims): number {
  const region = conv(3, 2 * d + nt, 2 * d) + bn(2 * d) + conv(1, 2 * d + K, 2 * d) + bn(2 * d) + conv(1, 2 * d, d);
  const global = conv(4, 2 * d, 4 * d) + bn(4 * d) + conv(4, 4 * d, 8 * d) + bn(8 * d) + conv(1, 8 * d + nt, 4 * d) + bn(4 * d) + conv(4, 4 * d, d) + bn(d);
  return imgGlobalD(d) + dense(txtSize, nt) + region + global + head(d); // dropout (MHP) has no parameters
}

export function keypointGk({ ngf: g, nz, txtSize, numParts: K }: Dims): number {
  const enc = dense(nz, 4 * g) + dense(txtSize, 4 * g) + dense(3 * K, 4 * g) + bn(4 * g) + dense(4 * g, 2 * g) + bn(2 * g);
  const trunk = dense(10 * g, 8 * g) + bn(8 * g) + dense(8 * g, 4 * g) + bn(4 * g) + dense(4 * g, 2 * g) + bn(2 * g) + dense(2 * g, 3 * K);
  return enc + trunk;
}

export function keypointDk({ ndf: d, txtSize, numParts: K }: Dims): number {
  const k = dense(3 * K, 4 * d) + bn(4 * d) + dense(4 * d, 2 * d) + bn(2 * d);
  const t = dense(txtSize, 4 * d) + bn(4 * d) + dense(4 * d, 2 * d) + bn(2 * d);
  return k + t + dense(4 * d, 2 * d) + bn(2 * d) + dense(2 * d, 1);
}
