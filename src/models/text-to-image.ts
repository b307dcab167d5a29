// What every text→image recipe offers the training session, loadRun and evaluation.
import { type Module, inEvalMode } from '../nn/index.js';
import type { EMA, Optimizer } from '../optim/index.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { Generator, type Tensor, dispose, noGrad, randn, tidy } from '../tensor/index.js';
import { type TextBatch, encodePrompts } from './prompts.js';

export type { ImageShape } from './data-shapes.js';
import type { ImageShape } from './data-shapes.js';

export interface TextToImageModel {
  readonly tokenizer: Tokenizer;
  readonly shape: ImageShape;
  /** Trained modules, saved under their names in model.safetensors. */
  readonly modules: Record<string, Module>;
  readonly optimizers: Record<string, Optimizer>;
  readonly emas: Record<string, EMA>;
  /** Random streams used by training (saved with checkpoints for exact resume). */
  readonly generators: Record<string, Generator>;
  trainStep(images: Tensor, text: TextBatch, step: number): Record<string, number>;
  /** Images [N, C, S, S] in [-1, 1]; the same seed gives the same images. */
  generate(texts: string[], seed: number): Tensor;
  /**
   * Prepares generation-time sampling that needs training captions (a GAN's discriminator rejection), with
   * `fraction` overriding the run's setting (0 = off). Returns a line for reports, or undefined when off.
   */
  calibrateGeneration?(captions: readonly string[], fraction?: number): string | undefined;
  /** The run's configured share of draws to reject (generation.rejection), for models that can. */
  readonly rejection?: number;
  /** Brings generation weights up to date (e.g. copies EMA weights) before sampling. */
  prepareForGeneration(): void;
  /** Loads generation weights from a model.safetensors map (keys as the training session saves them). */
  loadForGeneration(weights: Map<string, Tensor>): void;
  dispose(): void;
}

/** A network mapping (tokens, lengths, latent) to images: the GAN generator and the VAE decoder. */
export interface ConditionalImageNetwork extends Module {
  forward(tokens: Tensor, lengths: Tensor, latent: Tensor): Tensor;
}

/** Generates from prompts with seeded latents in eval mode; the same seed gives the same images. */
export function generateFromPrompts(
  network: ConditionalImageNetwork,
  tokenizer: Tokenizer,
  texts: string[],
  seed: number,
  latentDim: number,
): Tensor {
  const text = encodePrompts(tokenizer, texts);
  const random = new Generator(seed);
  try {
    return inEvalMode(network, () =>
      noGrad(() =>
        tidy(() => network.forward(text.tokens, text.lengths, randn([texts.length, latentDim], { generator: random }))),
      ),
    );
  } finally {
    random.dispose();
    dispose(text);
  }
}
