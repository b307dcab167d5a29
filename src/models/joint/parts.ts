// One encoder and one decoder per modality around a latent, for the joint recipes: the image conv
// encoder and conditional upsampler, the caption encoder and the attention text decoder, and for sound the
// image networks over the log-mel "picture" of a clip, or 1-D networks over its frames (the spectrogram
// codec; Griffin-Lim to hear it).
// The latent interface is plain: encode → features [B, F]; decode(shared [B, Z], private [B, W]) → data.
// Nothing here assumes a VAE, so the deterministic autoencoders of joint-diffusion reuse the parts.
import { crossEntropy, Linear, Module } from '../../nn/index.js';
import { ConvEncoder } from '../../modalities/image/conv-encoder.js';
import { ConditionalGenerator, type GeneratorBlock } from '../../modalities/image/conditional-generator.js';
import { MelSequenceDecoder, MelSequenceEncoder } from '../../modalities/audio/mel-sequence.js';
import { CaptionEncoder } from '../../modalities/text/caption-encoder.js';
import { AttentionDecoder } from '../../modalities/text/attention-decoder.js';
import { type GenerateTextOptions, type GeneratedText, searchText } from '../../modalities/text/generate.js';
import type { Tokenizer } from '../../modalities/text/index.js';
import { F, Tensor, cat, noGrad, tidy, zeros } from '../../tensor/index.js';

export const MODALITIES = ['image', 'text', 'audio'] as const;
export type ModalityName = (typeof MODALITIES)[number];

/** Captions as the text part reads and writes them: bos … eos, padded; lengths count bos and eos. */
export interface TokenBatch {
  tokens: Tensor;
  lengths: Tensor;
}
/** Pictures [B, C, S, S] in [-1, 1] (for sound: spectrograms [B, 1, S, S]), or captions. */
export type ModalityData = Tensor | TokenBatch;

/** Index of a modality in a run's order (its bit in subset masks); an error names the run's modalities. */
export function modalityIndex(names: readonly ModalityName[], name: ModalityName): number {
  const index = names.indexOf(name);
  if (index < 0) throw new Error(`this run has no ${name} (its modalities: ${names.join(', ')})`);
  return index;
}

export const isTokenBatch = (data: ModalityData): data is TokenBatch => !(data instanceof Tensor);

/** What every modality part offers the joint recipes. */
export abstract class ModalityPart extends Module {
  abstract readonly name: ModalityName;
  abstract readonly featureDim: number;
  /** The network `encode` runs (the rest of the part decodes). */
  abstract readonly encoder: Module;
  /** Data → features [B, featureDim]. */
  abstract encode(data: ModalityData): Tensor;
  /** Per-row log-likelihood [B] of data under the decoder at (shared, private) latents (scaled by the config's weight). */
  abstract logLikelihood(shared: Tensor, privateLatent: Tensor, data: ModalityData): Tensor;
  /** Rows of data repeated `times` (for K importance samples): [K·B, …] in sample-major order. */
  abstract repeat(data: ModalityData, times: number): ModalityData;
  /** Rows of the data picked by index (int64 [R]). */
  abstract pick(data: ModalityData, rows: Tensor): ModalityData;
  /** Whether `encode` already gives the latent (a spatial grid), so an autoencoder puts no head after it. */
  get encodesLatent(): boolean {
    return false;
  }
}

export interface PictureOptions {
  name: 'image' | 'audio';
  /** Square pictures of this side, or (network 'sequence') this many mel bands. */
  size: number;
  /** Frames of a sequence (network 'sequence' only). */
  frames?: number;
  channels: number;
  /** 'picture': 2-D conv encoder and upsampler; 'sequence': 1-D convolutions along a spectrogram's frames. */
  network?: 'picture' | 'sequence';
  sharedDim: number;
  privateDim: number;
  featureDim: number;
  encoderChannels: number;
  /** Conv blocks per resolution of the picture encoder (absent: one). */
  encoderDepth?: number;
  /** The picture encoder also reads each pixel's colour part. */
  encoderColour?: boolean;
  /** With encoderColour: beside it the pixels (`full`) or each 8×8 cell's average grey (`coarse`). */
  encoderGrey?: 'full' | 'coarse';
  decoderChannels: number;
  /** The fewest channels the picture decoder halves down to (absent: the decoder's own floor). */
  decoderMinChannels?: number | undefined;
  block: GeneratorBlock;
  /** The decoder's last doubling by a sub-pixel convolution. */
  subpixel?: boolean;
  /** The decoder's convs also read each pixel's coordinates (picture network only). */
  coordinates?: boolean;
  /** The decoder starts from the latent broadcast over a grid of this side (picture network only). */
  broadcast?: number | undefined;
  encoderNorm: 'batch' | 'group';
  /** The likelihood's weight: log p = −weight · Σ (x − x̂)² (gaussian) or −weight · Σ |x − x̂| (laplace). */
  weight: number;
  likelihood?: 'gaussian' | 'laplace';
  /** Weight of the distance between 4×4 averages, per full-size pixel (0: none). */
  coarseWeight?: number;
  /** Weight of the error's colour part (less its mean over the channels), per pixel (0: none). */
  chromaWeight?: number;
  /**
   * A spatial latent (network 'picture', no private latent): the encoder ends in a grid of this side and the
   * decoder starts from it, sharedDim / grid² channels per cell; `encode` then gives the latent itself.
   */
  grid?: number;
}

/** The cell side of `encoderGrey: coarse`'s average grey. */
const COARSE_GREY_CELL = 8;

/** A picture modality (an image, or a clip's log-mel spectrogram): conv encoder and conditional upsampler. */
export class PicturePart extends ModalityPart {
  readonly name: 'image' | 'audio';
  readonly featureDim: number;
  readonly encoder: ConvEncoder | MelSequenceEncoder;
  readonly decoder: ConditionalGenerator | MelSequenceDecoder;

  constructor(private readonly options: PictureOptions) {
    super();
    this.name = options.name;
    this.featureDim = options.featureDim;
    if (options.network === 'sequence') {
      const sequence = {
        mels: options.size,
        frames: options.frames ?? options.size,
        baseChannels: options.encoderChannels,
      };
      this.encoder = this.registerModule(
        'encoder',
        new MelSequenceEncoder({ ...sequence, outputDim: options.featureDim }),
      );
      this.decoder = this.registerModule(
        'decoder',
        new MelSequenceDecoder({
          ...sequence,
          baseChannels: options.decoderChannels,
          latentDim: options.sharedDim + options.privateDim,
        }),
      );
      return;
    }
    const grid = options.grid;
    if (grid !== undefined) this.featureDim = options.sharedDim;
    this.encoder = this.registerModule(
      'encoder',
      new ConvEncoder({
        imageSize: options.size,
        channels: options.channels,
        outputDim: this.featureDim,
        baseChannels: options.encoderChannels,
        normalization: options.encoderNorm,
        depth: options.encoderDepth ?? 1,
        colourPart: options.encoderColour ?? false,
        ...(options.encoderGrey === 'coarse' ? { coarseGrey: COARSE_GREY_CELL } : {}),
        ...(grid === undefined ? {} : { grid }),
      }),
    );
    this.decoder = this.registerModule(
      'decoder',
      new ConditionalGenerator({
        noiseDim: options.privateDim,
        conditionDim: options.sharedDim,
        imageSize: options.size,
        channels: options.channels,
        baseChannels: options.decoderChannels,
        ...(options.decoderMinChannels === undefined ? {} : { minChannels: options.decoderMinChannels }),
        block: options.block,
        subpixel: options.subpixel ?? false,
        coordinates: options.coordinates ?? false,
        ...(options.broadcast === undefined ? {} : { broadcast: options.broadcast }),
        ...(grid === undefined ? {} : { inputGrid: grid }),
      }),
    );
  }

  override get encodesLatent(): boolean {
    return this.options.grid !== undefined && this.options.network !== 'sequence';
  }

  private picture(data: ModalityData): Tensor {
    if (isTokenBatch(data)) throw new Error(`the ${this.name} part reads pictures [B, C, H, W], not captions`);
    return data;
  }

  encode(data: ModalityData): Tensor {
    const features = this.encoder.forward(this.picture(data));
    return this.encodesLatent ? features : features.leakyRelu(0.2);
  }

  /** Pictures [B, C, S, S] in [-1, 1]. */
  decode(shared: Tensor, privateLatent: Tensor): Tensor {
    return this.decoder.forward(privateLatent, shared);
  }

  logLikelihood(shared: Tensor, privateLatent: Tensor, data: ModalityData): Tensor {
    return tidy(() => this.logLikelihoodOf(this.decode(shared, privateLatent), data));
  }

  /** Per-row log-likelihood [B] of data given decoded pictures [B, C, S, S]. */
  logLikelihoodOf(decoded: Tensor, data: ModalityData): Tensor {
    const target = this.picture(data);
    const measure = (error: Tensor): Tensor =>
      (this.options.likelihood === 'laplace' ? error.abs() : error.square()).flatten(1).sum(1);
    return tidy(() => {
      const error = decoded.sub(target);
      const fine = measure(error);
      const coarseWeight = this.options.coarseWeight ?? 0;
      const chromaWeight = this.options.chromaWeight ?? 0;
      // the error's 4×4 averages, each standing for its 16 pixels
      const coarse = coarseWeight > 0 ? fine.add(measure(F.avgPool2d(error, 4)).mul(16 * coarseWeight)) : fine;
      const distance =
        chromaWeight > 0 ? coarse.add(measure(error.sub(error.mean(1, true))).mul(chromaWeight)) : coarse;
      return distance.mul(-this.options.weight);
    });
  }

  repeat(data: ModalityData, times: number): ModalityData {
    return times === 1 ? this.picture(data).clone() : this.picture(data).repeat(times, 1, 1, 1);
  }

  pick(data: ModalityData, rows: Tensor): ModalityData {
    return this.picture(data).indexSelect(0, rows);
  }
}

export interface TextPartOptions {
  tokenizer: Tokenizer;
  sharedDim: number;
  privateDim: number;
  featureDim: number;
  embeddingDim: number;
  hiddenSize: number;
  /** Attention memory rows the latent is unfolded into. */
  memorySlots: number;
  dropout: number;
  /** log p = −weight · Σ_t cross-entropy. */
  weight: number;
}

/** Captions: a bidirectional GRU encoder, and the attention GRU decoder over memory unfolded from the latent. */
export class TextPart extends ModalityPart {
  readonly name = 'text' as const;
  readonly featureDim: number;
  readonly encoder: CaptionEncoder;
  readonly decoder: AttentionDecoder;
  private readonly memory: Linear;
  private readonly memoryDim: number;

  constructor(private readonly options: TextPartOptions) {
    super();
    const { tokenizer } = options;
    this.featureDim = options.featureDim;
    this.memoryDim = options.hiddenSize;
    this.encoder = this.registerModule(
      'encoder',
      new CaptionEncoder({
        vocabularySize: tokenizer.vocabularySize,
        embeddingDim: options.embeddingDim,
        hiddenSize: options.hiddenSize / 2,
        outputDim: options.featureDim,
        paddingId: tokenizer.padId,
      }),
    );
    this.memory = this.registerModule(
      'memory',
      new Linear(options.sharedDim + options.privateDim, options.memorySlots * this.memoryDim),
    );
    this.decoder = this.registerModule(
      'decoder',
      new AttentionDecoder({
        vocabularySize: tokenizer.vocabularySize,
        memoryDim: this.memoryDim,
        embeddingDim: options.embeddingDim,
        hiddenSize: options.hiddenSize,
        dropout: options.dropout,
        paddingId: tokenizer.padId,
      }),
    );
  }

  private captions(data: ModalityData): TokenBatch {
    if (!isTokenBatch(data)) throw new Error('the text part reads captions (tokens and lengths), not a tensor');
    return data;
  }

  /** The decoder's attention memory [B, slots, D] of a latent. */
  memoryOf(shared: Tensor, privateLatent: Tensor): Tensor {
    const batch = shared.shape[0] ?? 0;
    return this.memory
      .forward(cat([shared, privateLatent], 1))
      .tanh()
      .reshape(batch, this.options.memorySlots, this.memoryDim);
  }

  encode(data: ModalityData): Tensor {
    const { tokens, lengths } = this.captions(data);
    return this.encoder.forward(tokens, lengths).leakyRelu(0.2);
  }

  logLikelihood(shared: Tensor, privateLatent: Tensor, data: ModalityData): Tensor {
    const { tokens } = this.captions(data);
    return tidy(() => {
      const length = tokens.shape[1] ?? 0;
      const logits = this.decoder.forward(this.memoryOf(shared, privateLatent), tokens.narrow(1, 0, length - 1));
      const perToken = crossEntropy(logits, tokens.narrow(1, 1, length - 1).contiguous(), {
        ignoreIndex: this.options.tokenizer.padId,
        reduction: 'none',
      });
      return perToken.sum(1).mul(-this.options.weight);
    });
  }

  get tokenizer(): Tokenizer {
    return this.options.tokenizer;
  }

  /** One text per latent row (eval mode, no gradients): greedy, beam or seeded sampling. */
  write(shared: Tensor, privateLatent: Tensor, options: GenerateTextOptions = {}): GeneratedText[] {
    const wasTraining = this.training;
    this.eval();
    const memory = noGrad(() => tidy(() => this.memoryOf(shared, privateLatent)));
    try {
      const { model, initial } = this.decoder.startDecoding(memory);
      try {
        return searchText(model, initial, shared.shape[0] ?? 0, this.options.tokenizer, options);
      } finally {
        model.release(initial);
      }
    } finally {
      memory.dispose();
      this.train(wasTraining);
    }
  }

  repeat(data: ModalityData, times: number): ModalityData {
    const { tokens, lengths } = this.captions(data);
    return times === 1
      ? { tokens: tokens.clone(), lengths: lengths.clone() }
      : { tokens: tokens.repeat(times, 1), lengths: lengths.repeat(times) };
  }

  pick(data: ModalityData, rows: Tensor): ModalityData {
    const { tokens, lengths } = this.captions(data);
    return { tokens: tokens.indexSelect(0, rows), lengths: lengths.indexSelect(0, rows) };
  }
}

/** A private latent of width 0 for a batch (parts without private latents decode from the shared one alone). */
export const noPrivate = (rows: number): Tensor => zeros([rows, 0]);
