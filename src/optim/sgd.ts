// SGD with momentum, dampening, L2 weight decay and Nesterov, numerically equal to torch.optim.SGD 1.13:
// a parameter's momentum buffer starts as a copy of its first (decayed) gradient.
import { handleOf, releaseGradients, synchronizeGradients } from '../tensor/index.js';
import { native } from '../tensor/native.js';
import { Optimizer, type ParamSource, checkRate } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly kind = 'SGD';
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;

  constructor(params: ParamSource, options: SGDOptions) {
    if (options === undefined || typeof options.lr !== 'number')
      throw new Error('SGD needs a learning rate: new SGD(params, { lr: 0.01 })');
    super(params, options.lr, ['momentum_buffer'], 'SGD');
    this.momentum = checkRate(options.momentum ?? 0, 'momentum', 'SGD');
    this.dampening = options.dampening ?? 0;
    if (!Number.isFinite(this.dampening))
      throw new Error(`SGD: dampening must be a finite number, got ${this.dampening}`);
    this.weightDecay = checkRate(options.weightDecay ?? 0, 'weightDecay', 'SGD');
    this.nesterov = options.nesterov ?? false;
    this.checkNesterov();
  }

  private checkNesterov(): void {
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error(
        `SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum ${this.momentum}, dampening ${this.dampening})`,
      );
    }
  }

  step(): void {
    this.checkAlive();
    this.checkNesterov();
    synchronizeGradients(this.params);
    const binding = native();
    if (this.momentum === 0) {
      // No state: the native loop skips parameters without a gradient itself.
      binding.sgdStep(this.params.map(handleOf), null, this.lr, 0, this.dampening, this.weightDecay, false, false);
    } else {
      const active = this.indicesWithGradient();
      const buffers = this.slots.get('momentum_buffer') ?? [];
      const fresh = active.filter((index) => buffers[index] === undefined);
      const continuing = active.filter((index) => buffers[index] !== undefined);
      for (const [indices, firstStep] of [
        [fresh, true],
        [continuing, false],
      ] as const) {
        if (indices.length === 0) continue;
        binding.sgdStep(
          indices.map((index) => handleOf(this.params[index]!)),
          indices.map((index) => handleOf(this.slot('momentum_buffer', index))),
          this.lr,
          this.momentum,
          this.dampening,
          this.weightDecay,
          this.nesterov,
          firstStep,
        );
      }
      for (const index of active) this.steps[index] = (this.steps[index] ?? 0) + 1;
    }
    releaseGradients(this.params);
    this.stepCount += 1;
  }

  protected hyperParameters(): Record<string, number> {
    return {
      momentum: this.momentum,
      dampening: this.dampening,
      weightDecay: this.weightDecay,
      nesterov: this.nesterov ? 1 : 0,
    };
  }
  protected setHyperParameters(values: Record<string, number>): void {
    const momentum = checkRate(values.momentum ?? NaN, 'momentum', 'SGD');
    const weightDecay = checkRate(values.weightDecay ?? NaN, 'weightDecay', 'SGD');
    this.momentum = momentum;
    this.dampening = values.dampening ?? 0;
    this.weightDecay = weightDecay;
    this.nesterov = values.nesterov === 1;
  }
}
