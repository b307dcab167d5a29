// A log-mel spectrogram read and drawn as a sequence over time, its mel bands as channels: 1-D convolutions
// along the frames. Speech needs fine time steps (a hop of 16 ms) far more than many mel bands, so a
// spectrogram of few bands and many frames fits it; a square picture network would spend its work on
// bands. Group norm throughout: an encoder read alone at inference behaves as it did in training.
import { Conv1d, GroupNorm, Linear, Module } from '../../nn/index.js';
import { type Tensor, F, cat } from '../../tensor/index.js';

export interface MelSequenceOptions {
  mels: number;
  frames: number;
  /** Channels at full time resolution; doubled per halving of the frames, up to maxChannels. */
  baseChannels: number;
  maxChannels?: number;
  /** Halvings of the time axis between the spectrogram and the flat feature (frames must divide by 2^steps). */
  steps?: number;
}

interface Resolved {
  steps: number;
  /** Channels after each halving, finest first: [base, 2·base, …]. */
  widths: number[];
  /** Frames left after every halving. */
  coarseFrames: number;
}

function resolve(options: MelSequenceOptions): Resolved {
  const steps = options.steps ?? 4;
  if (!Number.isInteger(options.frames / 2 ** steps) || options.frames < 2 ** steps)
    throw new Error(
      `a mel sequence of ${options.frames} frames cannot halve ${steps} times; use a multiple of ${2 ** steps} frames`,
    );
  const maxChannels = options.maxChannels ?? 256;
  const widths = Array.from({ length: steps + 1 }, (_, index) =>
    Math.min(maxChannels, options.baseChannels * 2 ** index),
  );
  return { steps, widths, coarseFrames: options.frames / 2 ** steps };
}

const groupsFor = (channels: number): number => (channels % 8 === 0 ? 8 : 1);

/** Two 3-wide convolutions with group norm and a shortcut; keeps the length. */
class ResidualBlock1d extends Module {
  private readonly norm1: GroupNorm;
  private readonly conv1: Conv1d;
  private readonly norm2: GroupNorm;
  private readonly conv2: Conv1d;
  private readonly shortcut: Conv1d | undefined;

  constructor(inChannels: number, outChannels: number) {
    super();
    this.norm1 = this.registerModule('norm1', new GroupNorm(groupsFor(inChannels), inChannels));
    this.conv1 = this.registerModule('conv1', new Conv1d(inChannels, outChannels, 3, { padding: 1 }));
    this.norm2 = this.registerModule('norm2', new GroupNorm(groupsFor(outChannels), outChannels));
    this.conv2 = this.registerModule('conv2', new Conv1d(outChannels, outChannels, 3, { padding: 1 }));
    this.shortcut =
      inChannels === outChannels ? undefined : this.registerModule('shortcut', new Conv1d(inChannels, outChannels, 1));
  }

  forward(x: Tensor): Tensor {
    const hidden = this.conv1.forward(this.norm1.forward(x).leakyRelu(0.2));
    const residual = this.conv2.forward(this.norm2.forward(hidden).leakyRelu(0.2));
    return residual.add(this.shortcut ? this.shortcut.forward(x) : x);
  }
}

/** Spectrograms [B, 1, mels, frames] → features [B, outputDim]. */
export class MelSequenceEncoder extends Module {
  private readonly input: Conv1d;
  private readonly blocks: ResidualBlock1d[];
  private readonly downs: Conv1d[];
  private readonly output: Linear;

  constructor(readonly options: MelSequenceOptions & { outputDim: number }) {
    super();
    const { steps, widths, coarseFrames } = resolve(options);
    const base = widths[0] as number;
    this.input = this.registerModule('input', new Conv1d(options.mels, base, 3, { padding: 1 }));
    this.blocks = [];
    this.downs = [];
    for (let index = 0; index < steps; index++) {
      const width = widths[index] as number;
      this.blocks.push(this.registerModule(`block${index}`, new ResidualBlock1d(width, width)));
      const next = widths[index + 1] as number;
      this.downs.push(this.registerModule(`down${index}`, new Conv1d(width, next, 4, { stride: 2, padding: 1 })));
    }
    const coarse = widths[steps] as number;
    this.output = this.registerModule('output', new Linear(coarse * coarseFrames, options.outputDim));
  }

  forward(spectrograms: Tensor): Tensor {
    const { mels, frames } = this.options;
    if (
      spectrograms.rank !== 4 ||
      spectrograms.shape[1] !== 1 ||
      spectrograms.shape[2] !== mels ||
      spectrograms.shape[3] !== frames
    )
      throw new Error(
        `the mel sequence encoder reads spectrograms [batch, 1, ${mels}, ${frames}], got [${spectrograms.shape.join(', ')}]`,
      );
    let x = this.input.forward(spectrograms.squeeze(1));
    this.blocks.forEach((block, index) => {
      x = (this.downs[index] as Conv1d).forward(block.forward(x));
    });
    return this.output.forward(x.leakyRelu(0.2).flatten(1));
  }
}

/** Latents (a shared and a private part, concatenated) → spectrograms [B, 1, mels, frames] in [-1, 1]. */
export class MelSequenceDecoder extends Module {
  private readonly coarseFrames: number;
  private readonly coarseChannels: number;
  private readonly input: Linear;
  private readonly blocks: ResidualBlock1d[];
  private readonly norm: GroupNorm;
  private readonly output: Conv1d;

  constructor(readonly options: MelSequenceOptions & { latentDim: number }) {
    super();
    const { steps, widths, coarseFrames } = resolve(options);
    this.coarseFrames = coarseFrames;
    this.coarseChannels = widths[steps] as number;
    this.input = this.registerModule('input', new Linear(options.latentDim, this.coarseChannels * coarseFrames));
    // coarse to fine: the frames double, then a block works at the new resolution
    this.blocks = [];
    for (let index = steps; index > 0; index--) {
      const block = new ResidualBlock1d(widths[index] as number, widths[index - 1] as number);
      this.blocks.push(this.registerModule(`block${steps - index}`, block));
    }
    const base = widths[0] as number;
    this.norm = this.registerModule('norm', new GroupNorm(groupsFor(base), base));
    this.output = this.registerModule('output', new Conv1d(base, options.mels, 3, { padding: 1 }));
  }

  /** (private [B, P], shared [B, S]) → [B, 1, mels, frames], in the argument order of the picture decoder. */
  forward(privateLatent: Tensor, shared: Tensor): Tensor {
    const latent = (privateLatent.shape[1] ?? 0) > 0 ? cat([shared, privateLatent], 1) : shared;
    let x = this.input.forward(latent).reshape(-1, this.coarseChannels, this.coarseFrames);
    for (const block of this.blocks) x = block.forward(F.interpolate(x, { scaleFactor: 2, mode: 'nearest' }));
    return this.output.forward(this.norm.forward(x).leakyRelu(0.2)).tanh().unsqueeze(1);
  }
}
