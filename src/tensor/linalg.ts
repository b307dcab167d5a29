// Linear algebra helpers (used by evaluation metrics).
import { native } from './native.js';
import { Tensor, handleOf } from './tensor.js';

/** Eigen-decomposition of a symmetric matrix: eigenvalues ascending and eigenvectors as columns. */
export function eigh(matrix: Tensor): [Tensor, Tensor] {
  const [values, vectors] = native().eigh(handleOf(matrix));
  return [new Tensor(values), new Tensor(vectors)];
}

/** Singular values, descending. */
export const svdvals = (matrix: Tensor): Tensor => new Tensor(native().svdvals(handleOf(matrix)));
