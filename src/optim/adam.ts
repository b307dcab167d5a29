// Adam and AdamW, numerically equal to torch.optim.Adam/AdamW 1.13 (single-tensor path): per-parameter
// step counts for bias correction, L2 weight decay added to the gradient (Adam) or decoupled (AdamW).
// The update itself is one native call (adamStep) per group of parameters sharing a step count.
import { handleOf, releaseGradients, synchronizeGradients } from '../tensor/index.js';
import { native } from '../tensor/native.js';
import { Optimizer, type ParamSource, checkRate } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

function checkBeta(value: number, index: number, kind: string): number {
  if (!Number.isFinite(value) || value < 0 || value >= 1)
    throw new Error(`${kind}: betas[${index}] must be in [0, 1), got ${value}`);
  return value;
}

abstract class AdamBase extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  protected abstract readonly decoupled: boolean;

  protected constructor(params: ParamSource, options: AdamOptions, defaultWeightDecay: number, kind: string) {
    super(params, options.lr ?? 1e-3, ['exp_avg', 'exp_avg_sq'], kind);
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.beta1 = checkBeta(beta1, 0, kind);
    this.beta2 = checkBeta(beta2, 1, kind);
    this.eps = checkRate(options.eps ?? 1e-8, 'eps', kind);
    this.weightDecay = checkRate(options.weightDecay ?? defaultWeightDecay, 'weightDecay', kind);
  }

  step(): void {
    this.checkAlive();
    synchronizeGradients(this.params);
    const active = this.indicesWithGradient();
    // Parameters that missed steps (no gradient) have their own bias correction, as in PyTorch.
    const groups = new Map<number, number[]>();
    for (const index of active) {
      const step = (this.steps[index] ?? 0) + 1;
      this.steps[index] = step;
      const group = groups.get(step);
      if (group) group.push(index);
      else groups.set(step, [index]);
    }
    for (const [step, indices] of groups) {
      native().adamStep(
        indices.map((index) => handleOf(this.params[index]!)),
        indices.map((index) => handleOf(this.slot('exp_avg', index))),
        indices.map((index) => handleOf(this.slot('exp_avg_sq', index))),
        step,
        this.lr,
        this.beta1,
        this.beta2,
        this.eps,
        this.weightDecay,
        this.decoupled,
      );
    }
    releaseGradients(this.params);
    this.stepCount += 1;
  }

  protected hyperParameters(): Record<string, number> {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }
  protected setHyperParameters(values: Record<string, number>): void {
    const beta1 = checkBeta(values.beta1 ?? NaN, 0, this.kind);
    const beta2 = checkBeta(values.beta2 ?? NaN, 1, this.kind);
    const eps = checkRate(values.eps ?? NaN, 'eps', this.kind);
    const weightDecay = checkRate(values.weightDecay ?? NaN, 'weightDecay', this.kind);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }
}

/** torch.optim.Adam: weight decay is L2 (added to the gradient). Defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0. */
export class Adam extends AdamBase {
  readonly kind = 'Adam';
  protected readonly decoupled = false;
  constructor(params: ParamSource, options: AdamOptions = {}) {
    super(params, options, 0, 'Adam');
  }
}

/** torch.optim.AdamW: decoupled weight decay (param *= 1 - lr * weightDecay). Default weightDecay 1e-2. */
export class AdamW extends AdamBase {
  readonly kind = 'AdamW';
  protected readonly decoupled = true;
  constructor(params: ParamSource, options: AdamOptions = {}) {
    super(params, options, 1e-2, 'AdamW');
  }
}
