// What every mmgen reference model in bench/models/ provides to the worker.

export interface BenchModel {
  /** Number of trainable scalars (compared with the PyTorch model's as a check). */
  readonly parameters: number;
  /** One full training step, its tensors freed by tidy(); returns the losses. */
  step(): number[];
  /** Frees parameters, optimiser state and data. */
  dispose(): void;
}

export type BuildBenchModel = (seed: number) => BenchModel;

/** The update every reference step ends with, as in the PyTorch scripts: zero, backward, step; the loss value. */
export function minimise(
  optimizer: { zeroGrad(): void; step(): void },
  loss: { backward(): void; item(): number },
): number {
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  return loss.item();
}
