// Plain-loop reference implementations (NCHW, row-major flat arrays) that the libtorch ops are
// checked against: direct transcriptions of the textbook definitions, slow but obviously right.

export interface Conv2dSpec {
  batch: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  kernelH: number;
  kernelW: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export function conv2dOutputSize(s: Conv2dSpec): [number, number] {
  const h = Math.floor((s.height + 2 * s.padding[0] - s.dilation[0] * (s.kernelH - 1) - 1) / s.stride[0]) + 1;
  const w = Math.floor((s.width + 2 * s.padding[1] - s.dilation[1] * (s.kernelW - 1) - 1) / s.stride[1]) + 1;
  return [h, w];
}

/** y[n,o,i,j] = b[o] + sum over the group's channels c and kernel taps of x[n,c,i*s-p+di*d, j*s-p+dj*d] * w[o,c',di,dj]. */
export function conv2dReference(x: number[], weight: number[], bias: number[] | null, s: Conv2dSpec): number[] {
  const [outH, outW] = conv2dOutputSize(s);
  const perGroupIn = s.inChannels / s.groups;
  const perGroupOut = s.outChannels / s.groups;
  const out: number[] = [];
  for (let n = 0; n < s.batch; n++)
    for (let o = 0; o < s.outChannels; o++)
      for (let i = 0; i < outH; i++)
        for (let j = 0; j < outW; j++) {
          let sum = bias ? (bias[o] ?? 0) : 0;
          const group = Math.floor(o / perGroupOut);
          for (let c = 0; c < perGroupIn; c++)
            for (let di = 0; di < s.kernelH; di++)
              for (let dj = 0; dj < s.kernelW; dj++) {
                const y = i * s.stride[0] - s.padding[0] + di * s.dilation[0];
                const xx = j * s.stride[1] - s.padding[1] + dj * s.dilation[1];
                if (y < 0 || y >= s.height || xx < 0 || xx >= s.width) continue;
                const channel = group * perGroupIn + c;
                sum +=
                  (x[((n * s.inChannels + channel) * s.height + y) * s.width + xx] ?? 0) *
                  (weight[((o * perGroupIn + c) * s.kernelH + di) * s.kernelW + dj] ?? 0);
              }
          out.push(sum);
        }
  return out;
}

export interface ConvTranspose2dSpec extends Conv2dSpec {
  outputPadding: [number, number];
}

export function convTranspose2dOutputSize(s: ConvTranspose2dSpec): [number, number] {
  const h = (s.height - 1) * s.stride[0] - 2 * s.padding[0] + s.dilation[0] * (s.kernelH - 1) + s.outputPadding[0] + 1;
  const w = (s.width - 1) * s.stride[1] - 2 * s.padding[1] + s.dilation[1] * (s.kernelW - 1) + s.outputPadding[1] + 1;
  return [h, w];
}

/** Scatter form: every input pixel adds x * w[c, o', di, dj] at (i*s - p + di*d, j*s - p + dj*d). Weight [in, out/groups, kh, kw]. */
export function convTranspose2dReference(
  x: number[],
  weight: number[],
  bias: number[] | null,
  s: ConvTranspose2dSpec,
): number[] {
  const [outH, outW] = convTranspose2dOutputSize(s);
  const perGroupIn = s.inChannels / s.groups;
  const perGroupOut = s.outChannels / s.groups;
  const out = new Array<number>(s.batch * s.outChannels * outH * outW).fill(0);
  for (let n = 0; n < s.batch; n++)
    for (let o = 0; o < s.outChannels; o++)
      for (let k = 0; k < outH * outW; k++) out[(n * s.outChannels + o) * outH * outW + k] = bias ? (bias[o] ?? 0) : 0;
  for (let n = 0; n < s.batch; n++)
    for (let c = 0; c < s.inChannels; c++) {
      const group = Math.floor(c / perGroupIn);
      for (let i = 0; i < s.height; i++)
        for (let j = 0; j < s.width; j++) {
          const value = x[((n * s.inChannels + c) * s.height + i) * s.width + j] ?? 0;
          for (let oo = 0; oo < perGroupOut; oo++)
            for (let di = 0; di < s.kernelH; di++)
              for (let dj = 0; dj < s.kernelW; dj++) {
                const y = i * s.stride[0] - s.padding[0] + di * s.dilation[0];
                const xx = j * s.stride[1] - s.padding[1] + dj * s.dilation[1];
                if (y < 0 || y >= outH || xx < 0 || xx >= outW) continue;
                const o = group * perGroupOut + oo;
                const index = ((n * s.outChannels + o) * outH + y) * outW + xx;
                out[index] =
                  (out[index] ?? 0) + value * (weight[((c * perGroupOut + oo) * s.kernelH + di) * s.kernelW + dj] ?? 0);
              }
        }
    }
  return out;
}

/** Bilinear resize of one [H, W] plane, align_corners=false (half-pixel centres, clamped at 0), as PyTorch. */
export function bilinearReference(
  plane: number[],
  height: number,
  width: number,
  outH: number,
  outW: number,
): number[] {
  const source = (index: number, scale: number): number => Math.max((index + 0.5) * scale - 0.5, 0);
  const out: number[] = [];
  for (let i = 0; i < outH; i++) {
    const y = source(i, height / outH);
    const y0 = Math.min(Math.floor(y), height - 1);
    const y1 = Math.min(y0 + 1, height - 1);
    const fy = y - y0;
    for (let j = 0; j < outW; j++) {
      const x = source(j, width / outW);
      const x0 = Math.min(Math.floor(x), width - 1);
      const x1 = Math.min(x0 + 1, width - 1);
      const fx = x - x0;
      const at = (r: number, c: number): number => plane[r * width + c] ?? 0;
      out.push((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1)));
    }
  }
  return out;
}
