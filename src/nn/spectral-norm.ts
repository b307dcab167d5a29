// Spectral normalisation as torch.nn.utils.spectral_norm: the weight is divided by its largest
// singular value, estimated by power iteration. The stored weight becomes `weight_orig`; `weight_u`
// and `weight_v` are buffers, refined in place (outside autograd) on each forward in training mode.
import { type Tensor, empty, noGrad, tidy } from '../tensor/index.js';
import { ConvTranspose1d, ConvTranspose2d } from './conv.js';
import { normal_ } from './init.js';
import { Module } from './module.js';

export interface SpectralNormOptions {
  name?: string;
  powerIterations?: number;
  eps?: number;
  /** Dimension of the output features: 1 for transposed convolutions, else 0 (PyTorch's choice). */
  dim?: number;
}

/** x / max(||x||, eps), as F.normalize(x, dim=0, eps). */
function normalize(x: Tensor, eps: number): Tensor {
  return x.div(x.norm(2).clamp(eps));
}

/** Applies spectral normalisation to `module`'s weight in place and returns the module. */
export function spectralNorm<M extends Module>(module: M, options: SpectralNormOptions = {}): M {
  const name = options.name ?? 'weight';
  const iterations = options.powerIterations ?? 1;
  const eps = options.eps ?? 1e-12;
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error(`spectralNorm: powerIterations must be a positive integer, got ${iterations}`);
  const weight = module.stateDict().get(name);
  if (weight === undefined) throw new Error(`spectralNorm: ${module.describe()} has no parameter "${name}"`);
  const dim = options.dim ?? (module instanceof ConvTranspose1d || module instanceof ConvTranspose2d ? 1 : 0);
  if (weight.rank < 2 || dim < 0 || dim >= weight.rank) {
    throw new Error(
      `spectralNorm: "${name}" of ${module.describe()} has shape [${weight.shape.join(', ')}]; it needs rank >= 2 and dim ${dim} inside it`,
    );
  }
  const height = weight.shape[dim] ?? 0;
  const width = weight.size / height;
  // the weight as a matrix [height, width] with `dim` first (a view of the parameter, tracked by autograd)
  const asMatrix = (w: Tensor): Tensor => {
    if (dim === 0) return w.reshape(height, width);
    const order = [dim, ...Array.from({ length: w.rank }, (_, i) => i).filter((i) => i !== dim)];
    return w.permute(...order).reshape(height, width);
  };
  // u then v drawn from N(0, 1) and normalised, in PyTorch's order
  const [u, v] = noGrad(() =>
    tidy((): [Tensor, Tensor] => [
      normalize(normal_(empty([height], weight.dtype)), eps),
      normalize(normal_(empty([width], weight.dtype)), eps),
    ]),
  );
  module.parametrize(
    name,
    (original) =>
      tidy(() => {
        const matrix = asMatrix(original);
        let [left, right] = [u, v];
        if (module.training) {
          [left, right] = noGrad((): [Tensor, Tensor] => {
            tidy(() => {
              const transposed = matrix.transpose(0, 1);
              for (let i = 0; i < iterations; i++) {
                v.copy_(normalize(transposed.matmul(u), eps));
                u.copy_(normalize(matrix.matmul(v), eps));
              }
            });
            // autograd saves the vectors: copies, so the next forward's in-place update cannot corrupt this graph
            return [u.clone(), v.clone()];
          });
        }
        // sigma = u^T W v with gradient through W only (u and v are constants, as in PyTorch)
        const sigma = left.matmul(matrix.matmul(right));
        return original.div(sigma);
      }),
    [
      [`${name}_u`, u],
      [`${name}_v`, v],
    ],
  );
  return module;
}
