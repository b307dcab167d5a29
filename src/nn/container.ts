// Containers: Sequential chains one-tensor modules; ModuleList holds modules under "0", "1", ... so
// state-dict names match PyTorch's ("layers.3.self_attn.in_proj_weight").
import type { Tensor } from '../tensor/index.js';
import { Module, type UnaryModule } from './module.js';

export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(modules: M[] = []) {
    super();
    for (const module of modules) this.append(module);
  }

  append(module: M): this {
    this.registerModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  get length(): number {
    return this.items.length;
  }

  at(index: number): M {
    const module = this.items.at(index);
    if (module === undefined)
      throw new Error(`${this.describe()}: index ${index} is out of range for ${this.items.length} modules`);
    return module;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** Applies its modules in order; children are named "0", "1", ... as torch.nn.Sequential. */
export class Sequential extends ModuleList<UnaryModule> {
  constructor(...modules: UnaryModule[]) {
    super(modules);
  }

  forward(x: Tensor): Tensor {
    let current = x;
    for (const module of this) {
      const next = module.forward(current);
      // intermediates are freed as soon as the next layer has used them (autograd keeps what it needs)
      if (current !== x && next !== current && !current.kept) current.dispose();
      current = next;
    }
    return current;
  }
}
