// Exponential moving average of a module's parameters (buffers are copied), for EMA generators:
// shadow = decay * shadow + (1 - decay) * param after each optimizer step (one native call).
// With warmup the decay is min(decay, (1 + n) / (10 + n)) for the n-th update (n from 0), as in
// TensorFlow's ExponentialMovingAverage with num_updates, so early averages are not stuck at the init.
import { Tensor, handleOf, keep, noGrad } from '../tensor/index.js';
import { native } from '../tensor/native.js';
import { metaNumber, type OptimizerState } from './optimizer.js';

/** The part of nn.Module the EMA needs. */
export interface EmaModule {
  namedParameters(): [string, Tensor][];
  namedBuffers(): [string, Tensor][];
}

export interface EmaOptions {
  /** Target decay, default 0.999. */
  decay?: number;
  /** Ramp the decay up as (1 + n) / (10 + n) over the first updates. Default false. */
  warmup?: boolean;
}

function checkDecay(value: number): number {
  if (!(value >= 0 && value <= 1)) throw new Error(`EMA decay must be in [0, 1], got ${value}`);
  return value;
}

export class EMA {
  /** Averaged parameters and copied buffers by the module's names (kept tensors owned by the EMA). */
  readonly shadow = new Map<string, Tensor>();
  decay: number;
  warmup: boolean;
  /** Number of update() calls so far. */
  updates = 0;
  private readonly parameterSources: Tensor[];
  private readonly parameterShadows: Tensor[];
  private readonly bufferPairs: [Tensor, Tensor][];
  private swapped = false;

  constructor(module: EmaModule, options: EmaOptions = {}) {
    this.decay = checkDecay(options.decay ?? 0.999);
    this.warmup = options.warmup ?? false;
    const copy = (name: string, source: Tensor): Tensor => {
      if (this.shadow.has(name)) throw new Error(`EMA: the module has two tensors named "${name}"`);
      const value = keep(noGrad(() => source.clone()));
      this.shadow.set(name, value);
      return value;
    };
    const parameters = module.namedParameters();
    this.parameterSources = parameters.map(([, source]) => source);
    this.parameterShadows = parameters.map(([name, source]) => copy(name, source));
    this.bufferPairs = module.namedBuffers().map(([name, source]) => [copy(name, source), source]);
    if (this.shadow.size === 0) throw new Error('EMA: the module has no parameters or buffers to average');
  }

  /** The decay the next update() uses. */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.updates) / (10 + this.updates)) : this.decay;
  }

  /** Moves the average towards the module's current parameters and copies its buffers. */
  update(): void {
    this.checkUsable('update()');
    this.checkNotSwapped('update()');
    native().emaUpdate(this.parameterShadows.map(handleOf), this.parameterSources.map(handleOf), this.currentDecay());
    noGrad(() => {
      for (const [target, source] of this.bufferPairs) target.copy_(source);
    });
    this.updates += 1;
  }

  /** Pairs (module tensor, shadow tensor) by name, checking names and shapes first. */
  private pairsWith(module: EmaModule, what: string): [Tensor, Tensor][] {
    this.checkUsable(what);
    const named = [...module.namedParameters(), ...module.namedBuffers()];
    const pairs: [Tensor, Tensor][] = [];
    for (const [name, target] of named) {
      const value = this.shadow.get(name);
      if (value === undefined)
        throw new Error(
          `EMA.${what}: the module has "${name}" but the EMA does not; was the EMA made from a module of this architecture?`,
        );
      if (value.shape.join(',') !== target.shape.join(',')) {
        throw new Error(
          `EMA.${what}: "${name}" is [${target.shape.join(', ')}] in the module but [${value.shape.join(', ')}] in the EMA`,
        );
      }
      pairs.push([target, value]);
    }
    if (pairs.length !== this.shadow.size) {
      const names = new Set(named.map(([name]) => name));
      const missing = [...this.shadow.keys()].filter((name) => !names.has(name));
      throw new Error(`EMA.${what}: the module lacks ${missing.map((name) => `"${name}"`).join(', ')}`);
    }
    return pairs;
  }

  /** Copies the averaged weights (and buffers) into a module of the same architecture. */
  copyTo(module: EmaModule): void {
    this.checkNotSwapped('copyTo()');
    const pairs = this.pairsWith(module, 'copyTo()');
    noGrad(() => {
      for (const [target, value] of pairs) target.copy_(value);
    });
  }

  /**
   * Exchanges the module's weights with the averaged ones: call once to evaluate with EMA weights,
   * and again to put the training weights back.
   */
  swap(module: EmaModule): void {
    const pairs = this.pairsWith(module, 'swap()');
    noGrad(() => {
      for (const [target, value] of pairs) {
        const saved = target.clone();
        target.copy_(value);
        value.copy_(saved);
        saved.dispose();
      }
    });
    this.swapped = !this.swapped;
  }

  /** The shadow tensors (live, owned by the EMA) and the decay settings. */
  stateDict(): OptimizerState {
    this.checkUsable('stateDict()');
    this.checkNotSwapped('stateDict()');
    return {
      tensors: new Map(this.shadow),
      meta: { type: 'EMA', decay: this.decay, warmup: this.warmup ? 1 : 0, updates: this.updates },
    };
  }

  loadStateDict(state: OptimizerState): void {
    this.checkUsable('loadStateDict()');
    this.checkNotSwapped('loadStateDict()');
    const what = 'EMA.loadStateDict';
    const decay = checkDecay(metaNumber(state.meta, 'decay', what));
    const warmup = metaNumber(state.meta, 'warmup', what) === 1;
    const updates = metaNumber(state.meta, 'updates', what);
    for (const [name, value] of this.shadow) {
      const source = state.tensors.get(name);
      if (source === undefined) throw new Error(`${what}: the state lacks "${name}"`);
      if (source.shape.join(',') !== value.shape.join(',')) {
        throw new Error(
          `${what}: "${name}" is [${source.shape.join(', ')}] in the state but [${value.shape.join(', ')}] in the EMA`,
        );
      }
    }
    const extra = [...state.tensors.keys()].filter((name) => !this.shadow.has(name));
    if (extra.length > 0) throw new Error(`${what}: the state has tensors the EMA does not: ${extra.join(', ')}`);
    noGrad(() => {
      for (const [name, value] of this.shadow) value.copy_(state.tensors.get(name) as Tensor);
    });
    this.decay = decay;
    this.warmup = warmup;
    this.updates = updates;
  }

  /** While swapped the shadow holds the training weights, so averaging or saving it would be wrong. */
  private checkNotSwapped(what: string): void {
    if (this.swapped)
      throw new Error(`EMA.${what}: the module holds the EMA weights (after swap()); call swap(module) again first`);
  }

  private checkUsable(what: string): void {
    if (this.shadow.size === 0) throw new Error(`EMA.${what}: this EMA was disposed`);
  }

  /** Frees the shadow tensors. */
  dispose(): void {
    for (const value of this.shadow.values()) value.dispose();
    this.shadow.clear();
  }
}
