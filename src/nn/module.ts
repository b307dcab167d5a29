// Module: the base of every layer. It owns named parameters, buffers and child modules, gives them
// PyTorch's dotted state_dict names, and moves them to and from safetensors files.
import { type DType, type Tensor, isFloating, keep, noGrad, zeroGrad as dropGradients } from '../tensor/index.js';
import { loadSafetensors, saveSafetensors } from '../tensor/safetensors.js';

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A module whose forward maps one tensor to one tensor (what Sequential chains). */
export interface UnaryModule extends Module {
  forward(x: Tensor): Tensor;
}

const validName = /^[A-Za-z0-9_]+$/;

export abstract class Module {
  /** True after construction; train()/eval() switch it for the whole tree. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private readonly parametrizations = new Map<string, () => Tensor>();

  /** Name used in error messages, e.g. "Linear(3 -> 2)". */
  describe(): string {
    return this.constructor.name;
  }

  private checkName(name: string, kind: string): void {
    if (!validName.test(name))
      throw new Error(`${this.describe()}: ${kind} name "${name}" must be letters, digits or underscores`);
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.describe()}: "${name}" is already registered`);
    }
  }

  /** Registers a trainable tensor: keep()s it and switches gradient tracking on. */
  protected registerParameter(name: string, value: Tensor): Tensor {
    this.checkName(name, 'parameter');
    if (!isFloating(value.dtype))
      throw new Error(`${this.describe()}: parameter "${name}" must be floating point, got ${value.dtype}`);
    keep(value).requiresGrad_(true);
    this.ownParameters.set(name, value);
    return value;
  }

  /** Registers state that is saved and loaded but not trained (running statistics, power-iteration vectors). */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    this.checkName(name, 'buffer');
    keep(value);
    this.ownBuffers.set(name, value);
    return value;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.checkName(name, 'module');
    this.children.set(name, module);
    return module;
  }

  /**
   * Replaces parameter `name` in forward passes by compute(original), as torch.nn.utils.spectral_norm
   * does: the stored tensor is re-registered as `${name}_orig`, extra state as buffers.
   */
  parametrize(name: string, compute: (original: Tensor) => Tensor, buffers: [string, Tensor][] = []): Tensor {
    const original = this.ownParameters.get(name);
    if (original === undefined) {
      throw new Error(
        `${this.describe()} has no parameter "${name}" to parametrize; it has ${[...this.ownParameters.keys()].join(', ') || 'none'}`,
      );
    }
    if (this.parametrizations.has(name))
      throw new Error(`${this.describe()}: parameter "${name}" is already parametrized`);
    this.ownParameters.delete(name);
    this.registerParameter(`${name}_orig`, original);
    for (const [bufferName, value] of buffers) this.registerBuffer(bufferName, value);
    this.parametrizations.set(name, () => compute(original));
    return original;
  }

  /** The tensor a forward should use for a parameter: the stored one, or its parametrized value (a new tensor). */
  protected parameterValue(name: string, stored: Tensor): Tensor {
    const compute = this.parametrizations.get(name);
    return compute === undefined ? stored : compute();
  }

  namedChildren(): [string, Module][] {
    return [...this.children.entries()];
  }

  /** Every module in the tree, this one first under the name "" (as PyTorch's named_modules). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children)
      out.push(...child.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    return out;
  }

  /** Tensors under dotted names; `unique` lists a tensor shared by two modules (tied weights) once. */
  private collect(kind: 'parameters' | 'buffers' | 'both', unique: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const add = (name: string, value: Tensor): void => {
      if (unique && seen.has(value)) return;
      seen.add(value);
      out.push([name, value]);
    };
    for (const [prefix, module] of this.namedModules()) {
      const dotted = (name: string): string => (prefix === '' ? name : `${prefix}.${name}`);
      if (kind !== 'buffers') for (const [name, value] of module.ownParameters) add(dotted(name), value);
      if (kind !== 'parameters') for (const [name, value] of module.ownBuffers) add(dotted(name), value);
    }
    return out;
  }

  /** Parameters with dotted names ("block.0.weight"), in registration order; a tied tensor appears once. */
  namedParameters(): [string, Tensor][] {
    return this.collect('parameters', true);
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, value]) => value);
  }
  namedBuffers(): [string, Tensor][] {
    return this.collect('buffers', true);
  }

  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers under PyTorch's state_dict names: the module's own tensors, not copies. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.collect('both', false));
  }

  /**
   * Copies tensors into this module's parameters and buffers (in place, converting dtype). Every shape
   * is checked before anything is copied, so a failed load leaves the module unchanged. With strict
   * (default) missing and unexpected keys are errors too.
   */
  loadStateDict(state: Map<string, Tensor>, options: { strict?: boolean } = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((key) => !state.has(key));
    const unexpectedKeys = [...state.keys()].filter((key) => !own.has(key));
    const problems: string[] = [];
    for (const [key, target] of own) {
      const source = state.get(key);
      if (source === undefined) continue;
      if (source.isDisposed) problems.push(`"${key}" was disposed`);
      else if (source.shape.join(',') !== target.shape.join(',')) {
        problems.push(
          `size mismatch for "${key}": the file has [${source.shape.join(', ')}], this module has [${target.shape.join(', ')}]`,
        );
      }
    }
    if (strict && missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (problems.length > 0) {
      throw new Error(
        `cannot load state into ${this.describe()}: ${problems.join('; ')}` +
          (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)
            ? ' (pass { strict: false } to load the matching keys only)'
            : ''),
      );
    }
    for (const [key, target] of own) {
      const source = state.get(key);
      if (source !== undefined) target.copy_(source);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Writes the state dict as safetensors (temporary name, then rename). */
  async save(path: string, metadata?: Record<string, string>): Promise<void> {
    await saveSafetensors(path, this.stateDict(), metadata);
  }

  /** Loads a safetensors file written by save() or by PyTorch (strict: every key must match). */
  async load(path: string, options: { strict?: boolean } = {}): Promise<LoadStateDictResult> {
    const { tensors } = await loadSafetensors(path);
    try {
      return this.loadStateDict(tensors, options);
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
    } finally {
      for (const tensor of tensors.values()) tensor.dispose();
    }
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    dropGradients(this.parameters());
  }

  parameterCount(): number {
    return this.parameters().reduce((total, parameter) => total + parameter.size, 0);
  }

  /**
   * Converts floating parameters and buffers to dtype in place (module.double() in PyTorch). The Tensor
   * objects stay the same, so layers' fields keep pointing at them; gradients are dropped.
   */
  to(dtype: DType): this {
    if (!isFloating(dtype))
      throw new Error(`${this.describe()}.to(${dtype}): modules can only move to a floating dtype`);
    const parameters = new Set(this.parameters());
    for (const [, tensor] of this.collect('both', true)) {
      if (!isFloating(tensor.dtype) || tensor.dtype === dtype) continue;
      const converted = noGrad(() => tensor.to(dtype));
      // swap native handles: `tensor` now holds the converted data and `converted` the old, which is freed
      const handle = tensor.id;
      tensor.id = converted.id;
      converted.id = handle;
      converted.dispose();
      if (parameters.has(tensor)) tensor.requiresGrad_(true);
    }
    return this;
  }

  /** Frees every parameter and buffer of the tree; the module is unusable afterwards. */
  dispose(): void {
    for (const [, tensor] of this.collect('both', true)) tensor.dispose();
  }
}

/** Runs fn with the module in eval mode (batch norm on running statistics), then restores its mode. */
export function inEvalMode<T>(module: Module, fn: () => T): T {
  const wasTraining = module.training;
  module.eval();
  try {
    return fn();
  } finally {
    module.train(wasTraining);
  }
}
