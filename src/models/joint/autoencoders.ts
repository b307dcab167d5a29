// joint-diffusion's first stage: a deterministic autoencoder per modality, from joint-vae's parts (the same
// encoders and decoders), each with a linear head from its features to a latent of D dimensions (or, for
// the image with `imageGrid`, a spatial latent the conv encoder ends in). While
// training, latents get a little noise (relative to their batch spread) so the decoders tolerate the
// sampler's error. The latent statistics that standardise them for the second stage live here too.
import { Linear, Module } from '../../nn/index.js';
import { type Generator, type Tensor, cat, noGrad, ones, randn, scalar, tidy, zeros } from '../../tensor/index.js';
import { type BuiltParts, type JointShapes, type PartsConfig, buildParts } from './part-config.js';
import type { JointDiffusionConfig } from './diffusion-config.js';
import { captionWordsLoss } from './caption-words.js';
import { loadReusedState } from './reuse.js';
import { MomentsHead, colourMomentsLoss } from './colour-moments-term.js';
import {
  type ModalityData,
  type ModalityName,
  type ModalityPart,
  PicturePart,
  type TokenBatch,
  modalityIndex,
  noPrivate,
} from './parts.js';

/** A picture modality's decoded batch (with its graph) and a detached copy the loss is measured on. */
export interface DecodedPictures {
  decoded: Tensor;
  pixels: Tensor;
}

export class JointAutoencoders extends Module {
  readonly names: ModalityName[];
  readonly parts: ModalityPart[];
  readonly codec: BuiltParts['codec'];
  readonly latentDim: number;
  /** Width of a private latent: autoencoders have none. */
  readonly privateDim = 0;
  /** Features → latent per modality; none for a part that encodes its latent itself (a spatial grid). */
  private readonly heads: (Linear | undefined)[];
  /** Latent → caption words per picture or sound modality, with `captionWords` (models/joint/caption-words.ts). */
  private readonly wordHeads: (Linear | undefined)[];
  /** Latent → the picture's colour moments, with `colourMoments` (models/joint/colour-moments-term.ts). */
  private readonly momentHeads: (MomentsHead | undefined)[];
  /** Per-dimension mean and std of the training latents [M·D], set once when the second stage starts. */
  readonly latentMean: Tensor;
  readonly latentStd: Tensor;
  private readonly statisticsReady: Tensor;
  /** Encoders `holdEncoders` holds: they stay in evaluation mode, so a normalisation's running statistics stay too. */
  private readonly heldEncoders: Module[] = [];

  constructor(
    config: PartsConfig,
    shapes: JointShapes,
    latentDim: number,
    imageGrid?: number,
    options: { captionWords?: boolean; colourMoments?: boolean } = {},
  ) {
    super();
    const built = buildParts(config, shapes, latentDim, 0, imageGrid);
    this.names = built.names;
    this.codec = built.codec;
    this.latentDim = latentDim;
    this.parts = built.parts.map((part) => this.registerModule(part.name, part));
    this.heads = built.parts.map((part) =>
      part.encodesLatent ? undefined : this.registerModule(`${part.name}Head`, new Linear(part.featureDim, latentDim)),
    );
    const captioned = options.captionWords === true && this.names.includes('text');
    this.wordHeads = built.parts.map((part) =>
      captioned && part.name !== 'text'
        ? this.registerModule(`${part.name}Words`, new Linear(latentDim, shapes.tokenizer.vocabularySize))
        : undefined,
    );
    if (options.colourMoments === true && (shapes.image?.channels ?? 0) < 3)
      throw new Error(
        `training.autoencoder.colourMoments weighs a picture's colour, and this dataset has ${shapes.image ? `${shapes.image.channels}-channel pictures` : 'no pictures'}: leave it at 0`,
      );
    this.momentHeads = built.parts.map((part) =>
      options.colourMoments === true && part.name === 'image'
        ? this.registerModule(`${part.name}Moments`, new MomentsHead(latentDim))
        : undefined,
    );
    const width = this.names.length * latentDim;
    this.latentMean = this.registerBuffer('latentMean', zeros([width]));
    this.latentStd = this.registerBuffer('latentStd', ones([width]));
    this.statisticsReady = this.registerBuffer('statisticsReady', zeros([1]));
  }

  /** The autoencoders a joint-diffusion config builds (its parts, latent and heads). */
  static of(config: JointDiffusionConfig, shapes: JointShapes): JointAutoencoders {
    const m = config.model;
    return new JointAutoencoders(m, shapes, m.latentDim, m.imageGrid, {
      captionWords: config.training.autoencoder.captionWords > 0,
      colourMoments: config.training.autoencoder.colourMoments > 0,
    });
  }

  /** Index of a modality in the run's order (its bit in subset masks). */
  indexOf(name: ModalityName): number {
    return modalityIndex(this.names, name);
  }

  part(name: ModalityName): ModalityPart {
    return this.parts[this.indexOf(name)] as ModalityPart;
  }

  /** Whether picture or sound latents here have caption-words heads (`training.autoencoder.captionWords`). */
  get readsWords(): boolean {
    return this.wordHeads.some(Boolean);
  }

  /** Modality m's caption-words head, where it has one. */
  wordHead(index: number): Linear | undefined {
    return this.wordHeads[index];
  }

  /** Modality m's colour-moments head, where it has one. */
  momentsHead(index: number): MomentsHead | undefined {
    return this.momentHeads[index];
  }

  /** Raw latent [B, D] of modality m. */
  encode(index: number, data: ModalityData): Tensor {
    const features = (this.parts[index] as ModalityPart).encode(data);
    const head = this.heads[index];
    return head ? head.forward(features) : features;
  }

  /** The parameters of the named modalities' autoencoders (every modality's when `names` is absent). */
  parametersOf(names?: readonly ModalityName[]): Tensor[] {
    if (!names) return this.parameters();
    return this.parts.flatMap((part, index) =>
      names.includes(part.name)
        ? [
            ...part.parameters(),
            ...(this.heads[index]?.parameters() ?? []),
            ...(this.wordHeads[index]?.parameters() ?? []),
            ...(this.momentHeads[index]?.parameters() ?? []),
          ]
        : [],
    );
  }

  override train(mode = true): this {
    super.train(mode);
    for (const encoder of this.heldEncoders) encoder.eval();
    return this;
  }

  /**
   * Holds the encoding side of the named modalities (encoder, latent head, caption-words and moments heads: no
   * gradient reaches them) and gives the parameters still learning there, their decoders'.
   */
  holdEncoders(names: readonly ModalityName[]): Tensor[] {
    return this.parts.flatMap((part, index) => {
      if (!names.includes(part.name)) return [];
      const encoder = new Set(part.encoder.parameters());
      const encoding = [
        ...encoder,
        ...(this.heads[index]?.parameters() ?? []),
        ...(this.wordHeads[index]?.parameters() ?? []),
        ...(this.momentHeads[index]?.parameters() ?? []),
      ];
      encoding.forEach((parameter) => parameter.requiresGrad_(false));
      this.heldEncoders.push(part.encoder.eval());
      return part.parameters().filter((parameter) => !encoder.has(parameter));
    });
  }

  /**
   * Loads another run's autoencoders (its `autoencoders.*` state) except those of `fresh`, which keep their
   * new weights (models/joint/reuse.ts).
   */
  loadReused(
    state: Map<string, Tensor>,
    options: { fresh: readonly ModalityName[]; keepStatistics: boolean },
    source: string,
  ): void {
    loadReusedState(this, state, options, source);
  }

  /**
   * The reconstruction loss of a batch: Σ_m presence_m · −log p(x_m | z_m + noise), averaged over rows; `only`
   * limits the modalities. Each picture modality in `atPixels` is measured on a detached copy of its decoded
   * pictures, so `loss.backward()` stops at their pixels and leaves their gradient in `pixels.grad`; the caller
   * adds to it and sends it on with `decoded.backward(gradient)`. With `captionWords` (a weight), each latent
   * with a caption-words head also predicts its row's caption words (that term per modality in `words`).
   */
  reconstructionLoss(
    data: readonly ModalityData[],
    presence: readonly Tensor[],
    noise: number,
    generator: Generator,
    options: {
      only?: readonly ModalityName[];
      atPixels?: readonly ModalityName[];
      captionWords?: number;
      colourMoments?: number;
      momentsSaturation?: number;
    } = {},
  ): {
    loss: Tensor;
    perModality: Record<string, number>;
    words: Record<string, number>;
    moments: Record<string, number>;
    pictures: Map<ModalityName, DecodedPictures>;
  } {
    const { only, atPixels = [], captionWords = 0, colourMoments = 0, momentsSaturation = 0 } = options;
    const text = this.names.indexOf('text');
    return tidy(() => {
      const perModality: Record<string, number> = {};
      const words: Record<string, number> = {};
      const moments: Record<string, number> = {};
      const pictures = new Map<ModalityName, DecodedPictures>();
      const rows = presence[0]?.shape[0] ?? 1;
      const loss = this.parts.reduce<Tensor>((total, part, index) => {
        if (only && !only.includes(part.name)) return total;
        const own = data[index] as ModalityData;
        const latent = this.encode(index, own);
        const spread = latent.detach().std(0, true).clamp(1e-3);
        const jittered = latent.add(randn(latent.shape, { generator }).mul(spread).mul(noise));
        let logLikelihood: Tensor;
        if (part instanceof PicturePart && atPixels.includes(part.name)) {
          const decoded = part.decode(jittered, noPrivate(rows));
          const pixels = decoded.detach().requiresGrad_();
          pictures.set(part.name, { decoded, pixels });
          logLikelihood = part.logLikelihoodOf(pixels, own);
        } else logLikelihood = part.logLikelihood(jittered, noPrivate(rows), own);
        const value = logLikelihood
          .mul(presence[index] as Tensor)
          .sum()
          .div((presence[index] as Tensor).sum().clamp(1))
          .neg();
        perModality[part.name] = value.item();
        let sum = total.add(value);
        const momentHead = this.momentHeads[index];
        if (momentHead && colourMoments > 0) {
          const term = colourMomentsLoss(
            momentHead,
            latent,
            own as Tensor,
            presence[index] as Tensor,
            momentsSaturation,
          );
          moments[part.name] = term.item();
          sum = sum.add(term.mul(colourMoments));
        }
        const wordHead = this.wordHeads[index];
        if (!wordHead || captionWords === 0) return sum;
        const both = (presence[index] as Tensor).mul(presence[text] as Tensor);
        const term = captionWordsLoss(wordHead, latent, data[text] as TokenBatch, both);
        words[part.name] = term.item();
        return sum.add(term.mul(captionWords));
      }, scalar(0));
      return { loss, perModality, words, moments, pictures };
    });
  }

  /**
   * The caption-words loss of pictures of modality `index` encoded with its weights held (no gradient reaches
   * them; the pixels' own does): the redrawn-words term (models/joint/caption-words.ts).
   */
  heldCaptionWords(index: number, pixels: Tensor, captions: TokenBatch, presence: Tensor): Tensor {
    const head = this.wordHeads[index];
    if (!head) throw new Error('training.autoencoder.redrawnWords needs training.autoencoder.captionWords above 0');
    const held = this.parametersOf([this.names[index] as ModalityName]).filter((parameter) => parameter.requiresGrad);
    held.forEach((parameter) => parameter.requiresGrad_(false));
    try {
      return captionWordsLoss(head, this.encode(index, pixels), captions, presence);
    } finally {
      held.forEach((parameter) => parameter.requiresGrad_(true));
    }
  }

  get hasStatistics(): boolean {
    return this.statisticsReady.item() > 0;
  }

  /** Sets the standardisation from raw latents [N, M·D] of the training set. */
  setStatistics(latents: Tensor): void {
    noGrad(() =>
      tidy(() => {
        this.latentMean.copy_(latents.mean(0));
        this.latentStd.copy_(latents.std(0).clamp(1e-4));
        this.statisticsReady.fill_(1);
      }),
    );
  }

  /** Raw latents of every modality [B, M·D] (eval mode, no gradients). */
  encodeAll(data: readonly ModalityData[]): Tensor {
    return noGrad(() =>
      tidy(() =>
        cat(
          this.parts.map((_, index) => this.encode(index, data[index] as ModalityData)),
          1,
        ),
      ),
    );
  }

  standardise(raw: Tensor): Tensor {
    return tidy(() => raw.sub(this.latentMean).div(this.latentStd));
  }

  /**
   * Standardised latents [B, M·D] with every picture modality (image, sound) not `kept` decoded and encoded
   * again, in chunks of `chunk` rows: a latent stands for what its decoding shows. Text keeps its latent (its
   * decoding is a discrete search). Eval mode, no gradients.
   */
  reencoded(standardised: Tensor, kept: readonly boolean[], chunk = 256): Tensor {
    const { latentDim } = this;
    this.eval();
    return noGrad(() =>
      tidy(() => {
        const rows = standardised.shape[0] ?? 0;
        const parts = this.parts.map((part, m) => {
          const own = standardised.narrow(1, m * latentDim, latentDim);
          if (kept[m] || !(part instanceof PicturePart)) return own;
          const raw = this.rawOf(standardised, m);
          const chunks: Tensor[] = [];
          for (let start = 0; start < rows; start += chunk) {
            const length = Math.min(chunk, rows - start);
            // a scope per chunk frees its decoder activations before the next one
            chunks.push(tidy(() => this.encode(m, part.decode(raw.narrow(0, start, length), noPrivate(length)))));
          }
          return cat(chunks, 0)
            .sub(this.latentMean.narrow(0, m * latentDim, latentDim))
            .div(this.latentStd.narrow(0, m * latentDim, latentDim));
        });
        return cat(parts, 1);
      }),
    );
  }

  /** Standardised [B, M·D] → raw latent [B, D] of modality m. */
  rawOf(standardised: Tensor, index: number): Tensor {
    const { latentDim } = this;
    return tidy(() =>
      standardised
        .narrow(1, index * latentDim, latentDim)
        .mul(this.latentStd.narrow(0, index * latentDim, latentDim))
        .add(this.latentMean.narrow(0, index * latentDim, latentDim)),
    );
  }
}
