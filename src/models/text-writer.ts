// What every recipe that writes text shares (captioner: image → text; transcriber: audio → text): an
// encoder to a feature map [B, N, D], the attention text decoder, teacher forcing with label-smoothed
// cross-entropy, AdamW with warmup and cosine decay, gradient clipping, and decoding (greedy, beam,
// sampling). A subclass says how raw inputs become what its encoder reads.
import { z } from 'zod';
import { loopSettings } from './run-settings.js';
import { type Module, crossEntropy } from '../nn/index.js';
import { AdamW, clipGradNorm, cosineSchedule } from '../optim/index.js';
import { AttentionDecoder } from '../modalities/text/attention-decoder.js';
import type { RetrievedMemory } from '../modalities/text/caption-retrieval.js';
import {
  DEFAULT_GENERATION,
  type GenerateTextOptions,
  type GeneratedText,
  searchText,
} from '../modalities/text/generate.js';
import type { DecodingState } from '../modalities/text/attention-decoder.js';
import type { StepModel } from '../modalities/text/decoding.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { type Generator, type Tensor, noGrad, tidy } from '../tensor/index.js';

export const decodingConfig = z
  .strictObject({
    /** Beam width used by eval and the CLI unless told otherwise (1 = greedy). */
    beam: z.number().int().positive().default(3),
    maxLength: z.number().int().positive().default(DEFAULT_GENERATION.maxLength),
    lengthPenalty: z.number().min(0).default(DEFAULT_GENERATION.lengthPenalty),
    /** Consensus reranking: the beam's N best are reranked by their probability-weighted agreement (0 = off; consensus.ts). */
    consensus: z.number().int().min(0).default(DEFAULT_GENERATION.consensus),
    consensusTemperature: z.number().positive().default(DEFAULT_GENERATION.consensusTemperature),
  })
  .prefault({});

export const textTrainingConfig = z
  .strictObject({
    steps: z.number().int().positive().default(1500),
    batchSize: z.number().int().positive().default(64),
    lr: z.number().positive().default(2e-3),
    weightDecay: z.number().min(0).default(1e-4),
    warmupSteps: z.number().int().nonnegative().default(100),
    labelSmoothing: z.number().min(0).max(0.5).default(0.1),
    clipNorm: z.number().positive().default(1),
    ...loopSettings,
  })
  .prefault({});

/** The decoder's sizes in a recipe's model section. */
const decoderSettings = {
  embeddingDim: z.number().int().positive().default(64),
  hiddenSize: z.number().int().positive().default(256),
  dropout: z.number().min(0).max(0.9).default(0.1),
};

/** The config schema of a text-writing recipe: its encoder's settings join the decoder's in `model`. */
export function textWriterConfig<Recipe extends string, Encoder extends z.ZodRawShape>(
  recipe: Recipe,
  encoder: Encoder,
) {
  return z.strictObject({
    recipe: z.literal(recipe),
    dataset: z.string().min(1),
    seed: z.number().int().nonnegative().default(0),
    // every model setting has a default, so an absent section parses as {} (the generic type cannot show it)
    model: z.strictObject({ ...encoder, ...decoderSettings }).prefault({} as never),
    training: textTrainingConfig,
    decoding: decodingConfig,
  });
}

export interface TextWriterSettings {
  training: z.output<typeof textTrainingConfig>;
  decoding: z.output<typeof decodingConfig>;
  decoder: { memoryDim: number; embeddingDim: number; hiddenSize: number; dropout: number };
  /** Modules besides encoder and decoder that train with them (e.g. a caption retrieval's embeddings). */
  extraModules?: Record<string, Module>;
}

/** An encoder from prepared inputs to a feature map [B, N, D]. */
export interface FeatureEncoder extends Module {
  forward(inputs: Tensor): Tensor;
}

/** A writer's decoder set up on some inputs, for a search; finish() frees it. */
export interface Writing {
  steps: StepModel<DecodingState>;
  initial: DecodingState;
  rows: number;
  finish(): void;
}

export abstract class TextWriter<Encoder extends FeatureEncoder> {
  readonly decoder: AttentionDecoder;
  readonly optimizer: AdamW;
  private readonly schedule: (step: number) => number;

  protected constructor(
    readonly encoder: Encoder,
    readonly tokenizer: Tokenizer,
    private readonly settings: TextWriterSettings,
  ) {
    this.decoder = new AttentionDecoder({
      vocabularySize: tokenizer.vocabularySize,
      paddingId: tokenizer.padId,
      ...settings.decoder,
    });
    const t = settings.training;
    const extra = Object.values(settings.extraModules ?? {}).flatMap((module) => module.parameters());
    this.optimizer = new AdamW([...this.encoder.parameters(), ...this.decoder.parameters(), ...extra], {
      lr: t.lr,
      weightDecay: t.weightDecay,
    });
    this.schedule = cosineSchedule({
      totalSteps: t.steps,
      warmupSteps: Math.min(t.warmupSteps, t.steps),
      minFactor: 0.02,
    });
  }

  /** Raw inputs (images in [-1, 1], waveforms) → what the encoder reads; a new tensor. */
  abstract prepare(inputs: Tensor): Tensor;

  /**
   * Extra attention memory for prepared inputs (none unless a recipe retrieves some); in training,
   * `tokens` are the target texts, so a recipe can keep an input's own text out of what it retrieves.
   */
  protected retrieved(_prepared: Tensor, _tokens?: Tensor): RetrievedMemory | undefined {
    return undefined;
  }

  /** Training-time augmentation of prepared inputs (none unless a recipe adds it). */
  protected augment(prepared: Tensor): Tensor {
    return prepared;
  }

  get modules(): Record<string, Module> {
    return { encoder: this.encoder, decoder: this.decoder, ...this.settings.extraModules };
  }
  /** Random streams saved with checkpoints (a recipe with augmentation adds its own). */
  get generators(): Record<string, Generator> {
    return {};
  }
  get optimizers(): Record<string, AdamW> {
    return { writer: this.optimizer };
  }

  /** One step of teacher forcing on raw inputs and tokens [B, L] = bos … eos pad. */
  trainStep(inputs: Tensor, tokens: Tensor, step: number): Record<string, number> {
    const t = this.settings.training;
    this.optimizer.lr = t.lr * this.schedule(step - 1);
    this.encoder.train();
    this.decoder.train();
    const { loss, gradNorm } = tidy(() => {
      const length = tokens.shape[1] ?? 0;
      const prepared = this.prepare(inputs);
      const logits = this.decoder.forward(
        this.encoder.forward(this.augment(prepared)),
        tokens.narrow(1, 0, length - 1),
        this.retrieved(prepared, tokens),
      );
      const value = crossEntropy(logits, tokens.narrow(1, 1, length - 1).contiguous(), {
        ignoreIndex: this.tokenizer.padId,
        labelSmoothing: t.labelSmoothing,
      });
      this.optimizer.zeroGrad();
      value.backward();
      const norm = clipGradNorm(this.optimizer.parameters(), t.clipNorm);
      this.optimizer.step();
      return { loss: value.item(), gradNorm: norm };
    });
    return { loss, gradNorm, lr: this.optimizer.lr };
  }

  /** The encoder's feature map [B, N, D] of raw inputs (eval mode, no gradients). */
  encode(inputs: Tensor): Tensor {
    this.encoder.eval();
    return noGrad(() => tidy(() => this.encoder.forward(this.prepare(inputs))));
  }

  /** Decoding options of the config's decoding section, with `options` over them. */
  decodingOptions(options: GenerateTextOptions = {}): GenerateTextOptions {
    return { ...this.settings.decoding, ...options };
  }

  /** The decoder set up on raw inputs as a step model (for this writer's search or an ensemble's); call finish() after. */
  beginWriting(inputs: Tensor): Writing {
    this.encoder.eval();
    const wasTraining = this.decoder.training;
    this.decoder.eval();
    const prepared = noGrad(() => this.prepare(inputs));
    let memory: Tensor | undefined;
    let extra: RetrievedMemory | undefined;
    try {
      memory = noGrad(() => this.encoder.forward(prepared));
      extra = noGrad(() => this.retrieved(prepared));
      // the decoding state keeps its own projections of the memory, so the memory can go now
      const { model: steps, initial } = this.decoder.startDecoding(memory, extra);
      return {
        steps,
        initial,
        rows: memory.shape[0] ?? 0,
        finish: () => {
          steps.release(initial);
          this.decoder.train(wasTraining);
        },
      };
    } catch (error) {
      this.decoder.train(wasTraining);
      throw error;
    } finally {
      prepared.dispose();
      memory?.dispose();
      extra?.memory.dispose();
      extra?.mask.dispose();
    }
  }

  /** Text for each raw input; unset options come from the config's decoding section. */
  write(inputs: Tensor, options: GenerateTextOptions = {}): GeneratedText[] {
    const writing = this.beginWriting(inputs);
    try {
      return searchText(writing.steps, writing.initial, writing.rows, this.tokenizer, this.decodingOptions(options));
    } finally {
      writing.finish();
    }
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    for (const module of Object.values(this.settings.extraModules ?? {})) module.dispose();
    this.optimizer.dispose();
  }
}
