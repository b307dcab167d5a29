// The optimiser base: the parameter list, lazily created per-parameter state (kept tensors), the learning
// rate, and the state dict / safetensors round trip shared by SGD, Adam and AdamW.
import {
  Tensor,
  handleOf,
  keep,
  noGrad,
  releaseGradients,
  zerosLike,
  zeroGrad as dropGradients,
} from '../tensor/index.js';
import { native } from '../tensor/native.js';
import { saveSafetensors, loadSafetensors } from '../tensor/safetensors.js';

/** Parameters to optimise: a list, or anything with `parameters()` (a Module). */
export type ParamSource = Tensor[] | { parameters(): Tensor[] };

/**
 * An optimiser's state. `tensors` are the optimiser's own live tensors (do not dispose them);
 * `meta` holds the hyper-parameters, counters and per-parameter steps.
 */
export interface OptimizerState {
  tensors: Map<string, Tensor>;
  meta: Record<string, number | string>;
}

function collectParameters(source: ParamSource, kind: string): Tensor[] {
  const params = Array.isArray(source) ? source : source.parameters();
  if (params.length === 0)
    throw new Error(`${kind} got an empty parameter list; pass the tensors (or the module) to optimise`);
  const seen = new Set<Tensor>();
  params.forEach((param, index) => {
    if (!(param instanceof Tensor)) throw new Error(`${kind}: parameter ${index} is not a Tensor`);
    if (param.isDisposed)
      throw new Error(`${kind}: parameter ${index} was disposed; keep() parameters so they outlive tidy()`);
    if (seen.has(param))
      throw new Error(`${kind}: parameter ${index} appears twice in the parameter list; pass each tensor once`);
    if (param.dtype !== 'float32' && param.dtype !== 'float64') {
      throw new Error(
        `${kind}: parameter ${index} has dtype ${param.dtype}; only float32/float64 tensors can be optimised`,
      );
    }
    if (!param.isLeaf)
      throw new Error(
        `${kind}: parameter ${index} is not a leaf tensor (it was computed from others); optimise the leaf it came from`,
      );
    seen.add(param);
  });
  return params.slice();
}

/** Reads a number from state meta (numbers arrive as strings from a safetensors header). */
export function metaNumber(meta: Record<string, number | string>, key: string, what: string): number {
  const raw = meta[key];
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(
      `${what}: state meta "${key}" is missing or not a number (got ${JSON.stringify(raw)}); was it saved by the same kind of object?`,
    );
  }
  return value;
}

export function checkRate(value: number, name: string, kind: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${kind}: ${name} must be a finite number >= 0, got ${value}`);
  return value;
}

export abstract class Optimizer {
  /** 'SGD' | 'Adam' | 'AdamW': written into the state so a mismatched load is caught. */
  abstract readonly kind: string;
  /** Number of step() calls so far. */
  stepCount = 0;
  protected readonly params: Tensor[];
  /** Per parameter: how many updates it received (PyTorch's per-parameter `step`); 0 = no state yet. */
  protected readonly steps: number[];
  /** Slot name -> per-parameter state tensor (exp_avg, exp_avg_sq, momentum_buffer), created lazily. */
  protected readonly slots = new Map<string, (Tensor | undefined)[]>();
  private learningRate: number;
  private disposed = false;

  protected constructor(source: ParamSource, lr: number, slotNames: readonly string[], kind: string) {
    this.params = collectParameters(source, kind);
    this.learningRate = checkRate(lr, 'lr', kind);
    this.steps = this.params.map(() => 0);
    for (const name of slotNames)
      this.slots.set(
        name,
        this.params.map(() => undefined),
      );
  }

  get lr(): number {
    return this.learningRate;
  }
  set lr(value: number) {
    this.learningRate = checkRate(value, 'lr', this.kind);
  }

  /** The optimised tensors, in order (so an optimizer is itself a ParamSource). */
  parameters(): Tensor[] {
    return this.params.slice();
  }

  abstract step(): void;

  /** Hyper-parameters other than lr, written into and read back from the state meta. */
  protected abstract hyperParameters(): Record<string, number>;
  protected abstract setHyperParameters(values: Record<string, number>): void;

  /** Sets every parameter's gradient to none (PyTorch's default `set_to_none=True`). */
  zeroGrad(): void {
    this.checkAlive();
    dropGradients(this.params);
    releaseGradients(this.params);
  }

  /** Indices of the parameters that have a gradient now (PyTorch skips the others, state and step alike). */
  protected indicesWithGradient(): number[] {
    const present = native().hasGrad(this.params.map(handleOf));
    const indices: number[] = [];
    present.forEach((has, index) => {
      if (has) indices.push(index);
    });
    return indices;
  }

  /** The state tensor of a slot for a parameter, created as kept zeros on first use. */
  protected slot(name: string, index: number): Tensor {
    const list = this.slots.get(name);
    const param = this.params[index];
    if (list === undefined || param === undefined)
      throw new Error(`${this.kind}: no state slot ${name} for parameter ${index}`);
    let value = list[index];
    if (value === undefined) {
      value = keep(zerosLike(param));
      list[index] = value;
    }
    return value;
  }

  protected checkAlive(): void {
    if (this.disposed) throw new Error(`this ${this.kind} optimizer was disposed; create a new one`);
  }

  stateDict(): OptimizerState {
    this.checkAlive();
    const tensors = new Map<string, Tensor>();
    for (const [name, list] of this.slots)
      list.forEach((value, index) => value && tensors.set(`${index}.${name}`, value));
    const meta: Record<string, number | string> = {
      type: this.kind,
      lr: this.learningRate,
      stepCount: this.stepCount,
      parameterCount: this.params.length,
      steps: this.steps.join(','),
      ...this.hyperParameters(),
    };
    return { tensors, meta };
  }

  /** Restores state saved by stateDict()/save() of the same kind over the same parameters; copies the tensors in. */
  loadStateDict(state: OptimizerState): void {
    this.checkAlive();
    const what = `${this.kind}.loadStateDict`;
    const { tensors, meta } = state;
    if (meta.type !== this.kind) {
      const saved =
        meta.type === undefined ? 'something else (no "type" in its meta)' : `an ${String(meta.type)} optimizer`;
      throw new Error(`${what}: the state was saved by ${saved}, not ${this.kind}`);
    }
    const count = metaNumber(meta, 'parameterCount', what);
    if (count !== this.params.length) {
      throw new Error(
        `${what}: the state has ${count} parameters but this optimizer has ${this.params.length}; build it over the same parameters`,
      );
    }
    const steps = String(meta.steps ?? '')
      .split(',')
      .map(Number);
    if (steps.length !== this.params.length || steps.some((value) => !Number.isInteger(value) || value < 0)) {
      throw new Error(
        `${what}: state meta "steps" must list ${this.params.length} non-negative integers, got ${JSON.stringify(meta.steps)}`,
      );
    }
    const hyper: Record<string, number> = {};
    for (const key of Object.keys(this.hyperParameters())) hyper[key] = metaNumber(meta, key, what);
    const lr = checkRate(metaNumber(meta, 'lr', what), 'lr', this.kind);
    const stepCount = metaNumber(meta, 'stepCount', what);

    // Check everything before changing anything, so a bad state leaves the optimizer as it was.
    for (const key of tensors.keys()) {
      const [indexText, name] = key.split(/\.(.*)/s);
      const param = this.params[Number(indexText)];
      if (
        name === undefined ||
        !this.slots.has(name) ||
        param === undefined ||
        String(Number(indexText)) !== indexText
      ) {
        throw new Error(
          `${what}: unexpected state tensor "${key}"; expected names like "0.${[...this.slots.keys()][0] ?? 'state'}"`,
        );
      }
      const value = tensors.get(key) as Tensor;
      if (value.shape.join(',') !== param.shape.join(',') || value.dtype !== param.dtype) {
        throw new Error(
          `${what}: state tensor "${key}" is ${value.dtype} [${value.shape.join(', ')}] but parameter ${indexText} is ` +
            `${param.dtype} [${param.shape.join(', ')}]`,
        );
      }
    }
    this.setHyperParameters(hyper); // validates all before assigning any
    this.learningRate = lr;
    this.stepCount = stepCount;
    steps.forEach((value, index) => (this.steps[index] = value));
    noGrad(() => {
      for (const [name, list] of this.slots) {
        list.forEach((current, index) => {
          const source = tensors.get(`${index}.${name}`);
          if (source === undefined) {
            current?.dispose();
            list[index] = undefined;
          } else if (current !== undefined) current.copy_(source);
          else list[index] = keep(source.clone());
        });
      }
    });
  }

  /** Writes the state to a safetensors file (meta in `__metadata__`), via a temporary name. */
  async save(path: string): Promise<void> {
    const { tensors, meta } = this.stateDict();
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(meta)) metadata[key] = String(value);
    await saveSafetensors(path, tensors, metadata);
  }

  async load(path: string): Promise<void> {
    const { tensors, metadata } = await loadSafetensors(path);
    try {
      this.loadStateDict({ tensors, meta: metadata });
    } catch (error) {
      throw new Error(`cannot load optimizer state from ${path}: ${(error as Error).message}`, { cause: error });
    } finally {
      for (const value of tensors.values()) value.dispose();
    }
  }

  /** Frees the state tensors (not the parameters). */
  dispose(): void {
    for (const list of this.slots.values()) {
      list.forEach((value, index) => {
        value?.dispose();
        list[index] = undefined;
      });
    }
    this.disposed = true;
  }
}
