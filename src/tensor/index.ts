// The tensor layer's public surface.
export { Tensor, type TensorOrScalar, type NestedArray, wrapHandle, handleOf } from './tensor.js';
export { type DType, isFloating } from './dtype.js';
export * from './create.js';
export * from './ops.js';
export * as F from './functional.js';
export { tidy, keep, dispose, noGrad, isGradEnabled, memory } from './scope.js';
export { eigh, svdvals } from './linalg.js';
export {
  ProcessGroup,
  CollectiveError,
  type MasterAddress,
  type ProcessGroupOptions,
  parseMasterAddress,
  activeProcessGroup,
  withProcessGroup,
  synchronizeGradients,
  releaseGradients,
} from './distributed.js';
